"""Cart totals and coupon terms: the one place money is added up. Pure Python, no Django.

Used by the cart page, the cart's coupon rule, and checkout, so the shopper is always shown
the sum they will pay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shop.money import Money


class DiscountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponTerms:
    code: str
    kind: DiscountKind
    value: Decimal  # percent (10 = 10 %) or an amount in the shop's currency
    minimum_subtotal: Decimal = Decimal(0)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    active: bool = True

    def describe(self) -> str:
        if self.kind == DiscountKind.PERCENT:
            return f"{self.value.normalize():f}% off"
        return f"{self.value} off"


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    subtotal: Money
    discount: Money
    total: Money
    coupon_code: str | None = None
    coupon_applies: bool = False
    coupon_note: str = ""  # why an applied coupon gives no discount now


def coupon_refusal(
    code: str, coupon: CouponTerms | None, subtotal: Money, now: datetime | None
) -> str:
    """Why ``coupon`` cannot be used on a cart of ``subtotal`` now; "" when it can.

    Whether any redemption is left is the coupon stream's to say (``carts.coupons``).
    """
    if coupon is None:
        return f"There is no coupon with the code {code[:40]!r}."
    if not coupon.active:
        return f"The coupon {coupon.code} is no longer active."
    if now and coupon.valid_from is not None and now < coupon.valid_from:
        return f"The coupon {coupon.code} is not valid yet."
    if now and coupon.valid_until is not None and now > coupon.valid_until:
        return f"The coupon {coupon.code} has expired."
    if subtotal.amount < coupon.minimum_subtotal:
        minimum = Money(coupon.minimum_subtotal, subtotal.currency)
        return f"The coupon {coupon.code} needs a subtotal of at least {minimum}."
    return ""


def discount_for(coupon: CouponTerms, subtotal: Money) -> Money:
    if coupon.kind == DiscountKind.PERCENT:
        amount = subtotal.amount * coupon.value / Decimal(100)
    else:
        amount = coupon.value
    return Money(min(amount, subtotal.amount), subtotal.currency).rounded()


def cart_totals(
    lines: Iterable[tuple[int, Money]],
    *,
    currency: str,
    coupon: CouponTerms | None = None,
    now: datetime | None = None,
) -> Totals:
    """Totals for (quantity, current unit price) lines and the cart's coupon, if any.

    A coupon that no longer applies (subtotal fell below its minimum, it expired) stays on
    the cart but gives no discount, and ``coupon_note`` says why.
    """
    subtotal = Money.zero(currency)
    for quantity, unit_price in lines:
        subtotal = subtotal + unit_price * quantity
    subtotal = subtotal.rounded()
    discount = Money.zero(currency)
    note = ""
    applies = False
    if coupon is not None:
        note = coupon_refusal(coupon.code, coupon, subtotal, now)
        if not note:
            applies = True
            discount = discount_for(coupon, subtotal)
    return Totals(
        subtotal=subtotal,
        discount=discount,
        total=(subtotal - discount).rounded(),
        coupon_code=coupon.code if coupon else None,
        coupon_applies=applies,
        coupon_note=note,
    )
