"""Staff manage coupons in the admin; the demo seeds WELCOME10."""

import io
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command

from carts.admin import CouponAdmin
from carts.models import Coupon

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
