"""The coupon aggregate: redemptions counted on the coupon's own stream. Pure Python.

The one place that decides a coupon is used up (``used_up``, which ``decide`` applies to
``RedeemCoupon``). A coupon with one use left cannot be redeemed twice: both checkouts load
the same version of the coupon's stream, and only one can append the next one. The stream
id is the ``Coupon`` row's ``stream_id``, which stays when staff change the code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from uuid import UUID

COUPON_NAMESPACE = uuid.UUID("0b4e2f7c-52a4-4f1e-8f5e-3c0d7a9e6b21")


def stream_id_for_code(code: str) -> UUID:
    """The stream id a coupon had before coupons had ids of their own: from its code.

    Coupons that existed then keep it (migration ``carts.0004``); orders placed then name
    their coupon by code only, so cancelling one finds the stream this way.
    """
    return uuid.uuid5(COUPON_NAMESPACE, code.strip().upper())


@dataclass(frozen=True, slots=True, kw_only=True)
class RedeemCoupon:
    code: str
    order_id: UUID
    max_redemptions: int | None  # None: unlimited


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRedemption:
    code: str
    order_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponRedeemed:
    code: str
    order_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponRedemptionReleased:
    code: str
    order_id: UUID


EVENTS = (CouponRedeemed, CouponRedemptionReleased)


@dataclass(frozen=True, slots=True)
class CouponUsage:
    code: str = ""
    orders: frozenset[UUID] = frozenset()

    @property
    def redemptions(self) -> int:
        return len(self.orders)


class CouponUsedUp(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(f"The coupon {code} has been used up.")
        self.code = code


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    RedeemCoupon: (CouponRedeemed,),
    ReleaseRedemption: (CouponRedemptionReleased,),
}


def used_up(state: CouponUsage, max_redemptions: int | None) -> bool:
    """No redemption is left (``None``: unlimited)."""
    return max_redemptions is not None and state.redemptions >= max_redemptions


def decide(command, state: CouponUsage) -> list:
    match command:
        case RedeemCoupon(order_id=order_id) if order_id in state.orders:
            return []
        case RedeemCoupon(code=code, max_redemptions=limit) if used_up(state, limit):
            raise CouponUsedUp(code)
        case RedeemCoupon(code=code, order_id=order_id):
            return [CouponRedeemed(code=code, order_id=order_id)]
        case ReleaseRedemption(code=code, order_id=order_id) if order_id in state.orders:
            return [CouponRedemptionReleased(code=code, order_id=order_id)]
        case ReleaseRedemption():
            return []
    raise TypeError(f"unknown command {command!r}")


def evolve(state: CouponUsage, event) -> CouponUsage:
    match event:
        case CouponRedeemed(code=code, order_id=order_id):
            return replace(state, code=code, orders=state.orders | {order_id})
        case CouponRedemptionReleased(order_id=order_id):
            return replace(state, orders=state.orders - {order_id})
        case _:
            return state


INITIAL = CouponUsage()
