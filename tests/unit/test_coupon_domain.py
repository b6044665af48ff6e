"""The coupon aggregate: its stream alone decides that a coupon is used up."""

import uuid

import pytest

from carts.coupons import (
    INITIAL,
    CouponRedeemed,
    CouponRedemptionReleased,
    CouponUsedUp,
    RedeemCoupon,
    ReleaseRedemption,
    decide,
    evolve,
    used_up,
)


def fold(events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


def redeemed(n: int) -> list:
    return [CouponRedeemed(code="TEN", order_id=uuid.UUID(int=i)) for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("redemptions", "limit", "expected"),
    [(0, None, False), (5, None, False), (0, 1, False), (1, 1, True), (2, 3, False), (0, 0, True)],
)
def test_used_up_counts_the_streams_redemptions_against_the_limit(redemptions, limit, expected):
    assert used_up(fold(redeemed(redemptions)), limit) is expected


def test_the_last_use_is_redeemed_once_then_refused():
    order = uuid.uuid4()
    state = fold(redeemed(2))
    events = decide(RedeemCoupon(code="TEN", order_id=order, max_redemptions=3), state)
    assert events == [CouponRedeemed(code="TEN", order_id=order)]
    with pytest.raises(CouponUsedUp, match="The coupon TEN has been used up"):
        decide(
            RedeemCoupon(code="TEN", order_id=uuid.uuid4(), max_redemptions=3),
            fold([*redeemed(2), *events]),
        )


def test_a_redemption_given_back_makes_room_again():
    first = redeemed(1)
    state = fold([*first, CouponRedemptionReleased(code="TEN", order_id=first[0].order_id)])
    assert not used_up(state, 1)
    assert decide(ReleaseRedemption(code="TEN", order_id=uuid.uuid4()), state) == []
