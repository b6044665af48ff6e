from datetime import UTC, datetime, timedelta
from decimal import Decimal

from carts.pricing import CouponTerms, DiscountKind, cart_totals, coupon_refusal
from shop.money import Money

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def eur(amount):
    return Money(Decimal(amount), "EUR")


def test_totals_without_coupon():
    totals = cart_totals([(2, eur("12.50")), (1, eur("3.33"))], currency="EUR", now=NOW)
    assert totals.subtotal == eur("28.33")
    assert totals.discount == eur("0")
    assert totals.total == eur("28.33")


def test_percent_coupon_rounds_to_the_cent():
    coupon = CouponTerms(code="WELCOME10", kind=DiscountKind.PERCENT, value=Decimal(10))
    totals = cart_totals([(1, eur("9.95"))], currency="EUR", coupon=coupon, now=NOW)
    assert totals.discount == eur("1.00")  # 0.995 rounds half up
    assert totals.total == eur("8.95")
    assert totals.coupon_applies


def test_fixed_coupon_never_makes_the_total_negative():
    coupon = CouponTerms(code="FIVE", kind=DiscountKind.FIXED, value=Decimal(5))
    totals = cart_totals([(1, eur("3.00"))], currency="EUR", coupon=coupon, now=NOW)
    assert totals.discount == eur("3.00")
    assert totals.total == eur("0.00")


def test_coupon_falls_away_below_its_minimum():
    coupon = CouponTerms(
        code="BIG", kind=DiscountKind.FIXED, value=Decimal(5), minimum_subtotal=Decimal(50)
    )
    totals = cart_totals([(1, eur("30.00"))], currency="EUR", coupon=coupon, now=NOW)
    assert not totals.coupon_applies
    assert totals.discount == eur("0")
    assert "at least 50.00 EUR" in totals.coupon_note


def test_refusals():
    base = CouponTerms(code="X", kind=DiscountKind.PERCENT, value=Decimal(10))
    subtotal = eur("10")
    assert "no coupon" in coupon_refusal("nope", None, subtotal, NOW)
    inactive = CouponTerms(code="X", kind=DiscountKind.PERCENT, value=Decimal(10), active=False)
    assert "no longer active" in coupon_refusal("X", inactive, subtotal, NOW)
    expired = CouponTerms(
        code="X", kind=DiscountKind.PERCENT, value=Decimal(10), valid_until=NOW - timedelta(1)
    )
    assert "expired" in coupon_refusal("X", expired, subtotal, NOW)
    early = CouponTerms(
        code="X", kind=DiscountKind.PERCENT, value=Decimal(10), valid_from=NOW + timedelta(1)
    )
    assert "not valid yet" in coupon_refusal("X", early, subtotal, NOW)
    assert coupon_refusal("X", base, subtotal, NOW) == ""


def test_empty_cart_totals_zero():
    totals = cart_totals([], currency="EUR", now=NOW)
    assert (totals.subtotal, totals.discount, totals.total) == (eur("0"), eur("0"), eur("0"))
    assert totals.coupon_code is None and totals.coupon_note == ""


def test_a_coupon_at_exactly_its_minimum_applies():
    coupon = CouponTerms(
        code="TEN", kind=DiscountKind.FIXED, value=Decimal(10), minimum_subtotal=Decimal(50)
    )
    totals = cart_totals([(2, eur("25.00"))], currency="EUR", coupon=coupon, now=NOW)
    assert totals.coupon_applies
    assert totals.total == eur("40.00")


def test_an_expired_coupon_on_the_cart_gives_nothing_and_says_why():
    coupon = CouponTerms(
        code="OLD", kind=DiscountKind.PERCENT, value=Decimal(10), valid_until=NOW - timedelta(1)
    )
    totals = cart_totals([(1, eur("10.00"))], currency="EUR", coupon=coupon, now=NOW)
    assert totals.coupon_code == "OLD"
    assert not totals.coupon_applies
    assert totals.total == eur("10.00")
    assert "expired" in totals.coupon_note


def test_percent_of_several_lines_rounds_once():
    coupon = CouponTerms(code="P", kind=DiscountKind.PERCENT, value=Decimal("12.5"))
    totals = cart_totals(
        [(3, eur("3.33")), (1, eur("0.01"))], currency="EUR", coupon=coupon, now=NOW
    )
    assert totals.subtotal == eur("10.00")
    assert totals.discount == eur("1.25")
    assert totals.total == eur("8.75")
    assert coupon.describe() == "12.5% off"
