"""manage.py rebuild_projections: replays the log into every registered projection."""

import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from carts.models import CartLine, CartSummary, Coupon
from carts.services import cart_add_item
from catalog.models import Product
from catalog.services import product_change_price, shop_money
from shop import projections
from tests.factories import ProductFactory, add_to_cart, cart_id_of
from tests.journeys import (
    apply_coupon,
    checked_out_cart,
    redeem_coupon,
    shopper,
    ten_percent_coupon,
)

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("rebuild_projections", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def journey():
    """Shoppers browse, fill carts through the views, one applies a coupon and checks out."""
    kenya, sencha, assam = (
        ProductFactory(name="Kenya AA", price=Decimal("9.50")),
        ProductFactory(name="Sencha"),
        ProductFactory(name="Assam"),
    )
    browsing = Client()
    assert browsing.get("/").status_code == 200
    add_to_cart(browsing, kenya, 2)
    add_to_cart(browsing, assam, 1)
    add_to_cart(browsing, kenya, 1)
    ten_percent_coupon("TEN")
    cart_id, order_id = uuid.uuid4(), uuid.uuid4()
    checked_out_cart(kenya, sencha, cart_id=cart_id)
    other = uuid.uuid4()
    cart_add_item(cart_id=other, product=sencha, quantity=3, context=shopper())
    apply_coupon(other, "ten", shop_money("30.00"))
    redeem_coupon("TEN", order_id)
    product_change_price(product_id=assam.id, price=shop_money("4.75"), context=shopper())
    return {"browsing": cart_id_of(browsing), "checked_out": cart_id, "coupon_cart": other}


def test_every_projection_is_registered():
    names = {p.name for p in projections.registered()}
    assert {"products", "carts", "coupon redemptions"} <= names


def test_check_reports_no_drift_after_a_shopper_journey(journey):
    assert Coupon.objects.get(code="TEN").redemptions == 1
    assert CartSummary.objects.get(cart_id=journey["coupon_cart"]).coupon_code == "TEN"
    output = run("--check")
    assert "No drift" in output
    assert "events/s" in output
    assert "DRIFT" not in output


def test_check_reports_the_exact_tampered_row_and_exits_1(journey):
    browsing = journey["browsing"]
    CartSummary.objects.filter(cart_id=browsing).update(item_count=42)
    Coupon.objects.filter(code="TEN").update(redemptions=5)
    CartLine.objects.filter(cart_id=journey["coupon_cart"]).delete()
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("rebuild_projections", "--check", stdout=out)
    assert refused.value.returncode == 1
    assert "3 row(s) differ" in str(refused.value)
    lines = [line for line in out.getvalue().splitlines() if line.startswith("DRIFT")]
    assert f"DRIFT carts: carts.CartSummary {browsing}: item_count stored 42, rebuilt 4" in lines
    assert "DRIFT coupon redemptions: carts.Coupon TEN: redemptions stored 5, rebuilt 1" in lines
    sencha = Product.objects.get(name="Sencha")
    missing = f"DRIFT carts: carts.CartLine ({journey['coupon_cart']}, {sencha.id}) missing"
    assert any(line.startswith(missing) for line in lines), lines
    assert len(lines) == 3
    # --check changed nothing.
    assert CartSummary.objects.get(cart_id=browsing).item_count == 42


def test_rebuild_repairs_drift(journey):
    CartSummary.objects.filter(cart_id=journey["browsing"]).update(item_count=42)
    Product.objects.filter(name="Assam").update(price=Decimal("1.00"))
    stray = CartSummary.objects.create(
        cart_id=uuid.uuid4(), created_at="2026-01-01T00:00Z", updated_at="2026-01-01T00:00Z"
    )
    output = run()
    assert "Projections rebuilt." in output
    assert CartSummary.objects.get(cart_id=journey["browsing"]).item_count == 4
    assert Product.objects.get(name="Assam").price == Decimal("4.75")
    assert not CartSummary.objects.filter(cart_id=stray.cart_id).exists()
    assert "No drift" in run("--check")


def test_rebuild_reads_the_log_in_chunks(journey):
    seen = []
    total = projections.rebuild(chunk_size=3, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == total and len(seen) == -(-total // 3)
    assert "No drift" in run("--check", "--chunk-size", "2")


def test_an_unknown_projection_name_is_refused():
    with pytest.raises(CommandError, match="unknown projection"):
        run("--projection", "nope")
