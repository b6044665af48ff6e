"""Cart totals and coupon terms: the one place money is added up. Pure Python, no Django.

Used by the cart page, the cart's coupon rule, and checkout, so the shopper is always shown
the sum they will pay. Prices include VAT (EU consumer prices): the totals say how much VAT
each rate's share of the total includes, the discount and the shipping split over the
rates in proportion to the goods at each rate (``shop.money``'s rounding rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shop.money import Money, VatLine, allocate, vat_included


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
    subtotal: Money  # the line totals
    discount: Money
    total: Money  # subtotal − discount + shipping
    coupon_code: str | None = None
    coupon_applies: bool = False
    coupon_note: str = ""  # why an applied coupon gives no discount now
    shipping: Money | None = None  # None: not known yet (no country, no method)
    vat: tuple[VatLine, ...] = ()  # per rate, lowest first; () when a line's rate is unknown

    @property
    def goods_total(self) -> Money:
        """What the goods cost after the discount, before shipping."""
        return self.subtotal - self.discount


def vat_breakdown(
    goods: list[tuple[Decimal, Money]], discount: Money, shipping: Money | None
) -> tuple[VatLine, ...]:
    """The VAT included per rate, for line totals at their rates, a discount and shipping.

    The discount splits over the rates in proportion to the goods at each rate, the shipping
    in proportion to the goods after the discount (all of it at the highest rate when the
    goods cost nothing). The amounts per rate add up to the total to the cent.
    """
    currency = discount.currency
    by_rate: dict[Decimal, Money] = {}
    for rate, amount in goods:
        by_rate[rate] = by_rate.get(rate, Money.zero(currency)) + amount
    if not by_rate:
        return ()
    rates = sorted(by_rate, reverse=True)  # a leftover cent goes to the higher rate first
    amounts = [by_rate[rate] for rate in rates]
    discounts = allocate(discount, [amount.amount for amount in amounts])
    charged = [amount - share for amount, share in zip(amounts, discounts, strict=True)]
    if shipping is not None:
        shares = allocate(shipping, [amount.amount for amount in charged])
        charged = [amount + share for amount, share in zip(charged, shares, strict=True)]
    lines = [
        VatLine(rate=rate, gross=gross, vat=vat_included(gross, rate))
        for rate, gross in zip(rates, charged, strict=True)
        if gross.amount
    ]
    return tuple(reversed(lines))


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
    lines: Iterable[tuple[int, Money] | tuple[int, Money, Decimal | None]],
    *,
    currency: str,
    coupon: CouponTerms | None = None,
    now: datetime | None = None,
    shipping: Money | None = None,
) -> Totals:
    """Totals for (quantity, current unit price[, VAT rate]) lines, the cart's coupon, if
    any, and the shipping, once it is known.

    A coupon that no longer applies (subtotal fell below its minimum, it expired) stays on
    the cart but gives no discount, and ``coupon_note`` says why. The VAT breakdown needs
    every line's rate; without them it is empty.
    """
    subtotal = Money.zero(currency)
    goods: list[tuple[Decimal, Money]] = []
    rated = True
    for quantity, unit_price, *rate in lines:
        line_total = (unit_price * quantity).rounded()
        subtotal = subtotal + line_total
        if rate and rate[0] is not None:
            goods.append((rate[0], line_total))
        else:
            rated = False
    subtotal = subtotal.rounded()
    discount = Money.zero(currency)
    note = ""
    applies = False
    if coupon is not None:
        note = coupon_refusal(coupon.code, coupon, subtotal, now)
        if not note:
            applies = True
            discount = discount_for(coupon, subtotal)
    total = subtotal - discount
    if shipping is not None:
        shipping = shipping.rounded()
        total = total + shipping
    return Totals(
        subtotal=subtotal,
        discount=discount,
        total=total.rounded(),
        coupon_code=coupon.code if coupon else None,
        coupon_applies=applies,
        coupon_note=note,
        shipping=shipping,
        vat=vat_breakdown(goods, discount, shipping) if rated else (),
    )
