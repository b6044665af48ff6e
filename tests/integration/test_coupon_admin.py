"""Staff manage coupons in the admin; the demo seeds WELCOME10."""

import io
import uuid
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from carts.admin import CouponAdmin
from carts.models import Coupon
from carts.services import COUPON
from orders.models import OrderSummary
from orders.services import order_cancel
from shop.unitofwork import load_state
from tests.factories import SYSTEM, ProductFactory, add_to_cart, cart_id_of
from tests.integration.test_checkout import apply_coupon, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("staff", password="pw-for-tests-only-1")
    client.force_login(user)
    return client


def test_coupon_admin_lists_filters_and_searches(staff_client):
    Coupon.objects.create(code="spring5", kind=Coupon.Kind.FIXED, value=Decimal(5))
    assert isinstance(admin.site._registry[Coupon], CouponAdmin)
    response = staff_client.get("/admin/carts/coupon/", {"q": "SPRING"})
    assert response.status_code == 200
    assert b"SPRING5" in response.content  # stored in upper case
    assert staff_client.get("/admin/carts/coupon/", {"active__exact": "1"}).status_code == 200


def test_staff_add_a_coupon_and_cannot_type_redemptions(staff_client):
    response = staff_client.post(
        "/admin/carts/coupon/add/",
        {
            "code": " autumn20 ",
            "kind": "percent",
            "value": "20",
            "minimum_subtotal": "30",
            "active": "on",
            "max_redemptions": "100",
            "redemptions": "99",
        },
    )
    assert response.status_code == 302
    coupon = Coupon.objects.get()
    assert coupon.code == "AUTUMN20"
    assert coupon.redemptions == 0
    page = staff_client.get(f"/admin/carts/coupon/{coupon.pk}/change/").content.decode()
    assert 'name="redemptions"' not in page


def test_the_demo_seeds_welcome10():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Seeded" in out.getvalue()
    coupon = Coupon.objects.get(code="WELCOME10")
    assert coupon.kind == Coupon.Kind.PERCENT
    assert coupon.value == Decimal(10)
    assert coupon.minimum_subtotal == 0
    assert coupon.active and coupon.max_redemptions is None


def test_a_renamed_coupon_keeps_its_redemptions_and_its_limit(staff_client):
    """The coupon's stream is named by its stream id, not its code: staff rename it, and
    its redemption count and its limit go with it (checkout, cancel and a rebuild)."""
    product = ProductFactory(stock=10)
    coupon = Coupon.objects.create(code="ONCE", value=Decimal(10), max_redemptions=1)
    first = Client()
    add_to_cart(first, product, 1)
    apply_coupon(uuid.UUID(cart_id_of(first)), coupon)
    assert place(first)[0].status_code == 302

    response = staff_client.post(
        f"/admin/carts/coupon/{coupon.pk}/change/",
        {
            "code": "twice",
            "kind": "percent",
            "value": "10",
            "minimum_subtotal": "0",
            "active": "on",
            "max_redemptions": "1",
        },
    )
    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.code == "TWICE" and coupon.redemptions == 1
    assert load_state(COUPON, coupon.stream_id).state.redemptions == 1

    second = Client()  # the limit still holds under the new code
    add_to_cart(second, product, 1)
    apply_coupon(uuid.UUID(cart_id_of(second)), coupon)
    response, _ = place(second)
    assert response.status_code == 409
    assert "The coupon TWICE has been used up." in response.content.decode()

    # Cancelling the order placed under the old code gives the use back to the same coupon.
    order_cancel(order_id=OrderSummary.objects.get().order_id, context=SYSTEM)
    coupon.refresh_from_db()
    assert coupon.redemptions == 0
    assert place(second)[0].status_code == 302
    coupon.refresh_from_db()
    assert coupon.redemptions == 1

    out = io.StringIO()  # a rebuild counts by stream too
    call_command("rebuild_projections", "--check", stdout=out)
    assert "DRIFT" not in out.getvalue()
