"""The registries apps fill in ready(): deciders and projections by name."""

import uuid

import pytest

from carts import coupons
from carts.services import CART
from catalog.services import PRODUCT
from shop import aggregates, projections


def test_every_stream_type_has_its_decider():
    assert aggregates.decider_for("cart") is CART
    assert aggregates.decider_for("product") is PRODUCT
    coupon = aggregates.decider_for("coupon")
    assert coupon.evolve is coupons.evolve and coupon.initial_state == coupons.INITIAL
    redeemed = coupons.CouponRedeemed(code="TEN", order_id=uuid.UUID(int=1))
    assert coupon.fold(coupon.initial_state, [redeemed]).redemptions == 1
    redeem = coupons.RedeemCoupon(code="TEN", order_id=uuid.UUID(int=2), max_redemptions=1)
    assert coupon.decide(redeem, coupon.initial_state) == [
        coupons.CouponRedeemed(code="TEN", order_id=uuid.UUID(int=2))
    ]
    with pytest.raises(aggregates.UnknownStreamType):
        aggregates.decider_for("nothing")


def test_a_second_decider_for_a_stream_type_is_refused():
    aggregates.register_decider(CART)  # the same one again: fine
    impostor = aggregates.Decider("cart", CART.initial_state, CART.decide, lambda s, e: s)
    with pytest.raises(ValueError, match="registered already"):
        aggregates.register_decider(impostor)
    assert aggregates.decider_for("cart") is CART


def test_projections_know_their_models_and_keys():
    carts = projections.get("carts")
    from carts.models import CartLine, CartSummary, Coupon

    assert carts.models == (CartSummary, CartLine)
    assert carts.key_fields(CartLine) == ("cart_id", "variant_id")  # a line per variant
    assert "id" not in carts.compared_fields(CartLine)
    assert projections.get("coupon redemptions").compared_fields(Coupon) == ("redemptions",)
