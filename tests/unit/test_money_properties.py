"""Property tests: line totals, discounts, shipping and VAT always add up to the cent.

The rounding rule is ``shop.money``'s: round half up to the cent once where an amount is
derived, split by the largest remainder.
"""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from carts.pricing import CouponTerms, DiscountKind, cart_totals
from shop.money import Money, VatLine, allocate, vat_included

CENT = Decimal("0.01")


def eur(amount) -> Money:
    return Money(Decimal(amount), "EUR")


prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
rates = st.sampled_from([Decimal(0), Decimal(5), Decimal("5.5"), Decimal(7), Decimal(19)])
lines = st.lists(
    st.tuples(st.integers(min_value=1, max_value=99), prices.map(eur), rates),
    min_size=1,
    max_size=8,
)
coupons = st.one_of(
    st.none(),
    st.builds(
        CouponTerms,
        code=st.just("C"),
        kind=st.just(DiscountKind.PERCENT),
        value=st.decimals(min_value=1, max_value=100, places=0),
    ),
    st.builds(
        CouponTerms,
        code=st.just("C"),
        kind=st.just(DiscountKind.FIXED),
        value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2),
    ),
)
shipping = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=Decimal("99.99"), places=2).map(eur),
)


def is_cents(money: Money) -> bool:
    return money.amount == money.amount.quantize(CENT)


@given(lines=lines, coupon=coupons, shipping=shipping)
def test_totals_add_up_to_the_cent(lines, coupon, shipping):
    totals = cart_totals(lines, currency="EUR", coupon=coupon, shipping=shipping)

    line_totals = [(unit * quantity).rounded() for quantity, unit, _ in lines]
    assert totals.subtotal == sum(line_totals, eur(0))
    assert eur(0) <= totals.discount <= totals.subtotal
    charged_shipping = totals.shipping or eur(0)
    assert totals.total == totals.subtotal - totals.discount + charged_shipping
    for amount in (totals.subtotal, totals.discount, totals.total, charged_shipping):
        assert is_cents(amount)

    # VAT: the amounts charged per rate add up to the total; each VAT is its rate's share.
    assert sum((line.gross for line in totals.vat), eur(0)) == totals.total
    assert len({line.rate for line in totals.vat}) == len(totals.vat)
    for line in totals.vat:
        assert is_cents(line.gross) and is_cents(line.vat)
        assert eur(0) <= line.vat <= line.gross
        exact = line.gross.amount * line.rate / (100 + line.rate)
        assert abs(line.vat.amount - exact) <= Decimal("0.005")
    used_rates = {rate for _, _, rate in lines}
    assert {line.rate for line in totals.vat} <= used_rates


@given(lines=lines, shipping=shipping)
def test_each_rate_carries_its_goods_and_a_share_of_the_shipping(lines, shipping):
    totals = cart_totals(lines, currency="EUR", shipping=shipping)
    goods: dict[Decimal, Money] = {}
    for quantity, unit, rate in lines:
        goods[rate] = goods.get(rate, eur(0)) + (unit * quantity).rounded()
    charged = {line.rate: line.gross for line in totals.vat}
    for rate, amount in goods.items():
        share = charged[rate] - amount  # without a discount, what is left is shipping
        assert eur(0) <= share <= (shipping or eur(0))
        if shipping is not None and totals.subtotal.amount:
            exact = shipping.amount * amount.amount / totals.subtotal.amount
            assert abs(share.amount - exact) < CENT


@given(
    whole=st.decimals(min_value=0, max_value=Decimal(10**6), places=2).map(eur),
    weights=st.lists(
        st.decimals(min_value=0, max_value=Decimal(10**6), places=2), min_size=1, max_size=6
    ),
)
def test_allocate_splits_to_the_cent_in_proportion(whole, weights):
    shares = allocate(whole, weights)
    assert len(shares) == len(weights)
    assert sum(shares, eur(0)) == whole
    total = sum(weights, Decimal(0))
    for share, weight in zip(shares, weights, strict=True):
        assert is_cents(share) and share.amount >= 0
        if total:
            assert abs(share.amount - whole.amount * weight / total) < CENT


def test_vat_included_rounds_half_up():
    assert vat_included(eur("12.84"), Decimal(7)) == eur("0.84")
    assert vat_included(eur("119.00"), Decimal(19)) == eur("19.00")
    assert vat_included(eur("1.07"), Decimal(7)) == eur("0.07")
    assert vat_included(eur("0.23"), Decimal(7)) == eur("0.02")  # 0.01505 rounds to 0.02
    assert vat_included(eur("0.22"), Decimal(7)) == eur("0.01")  # 0.01439 rounds to 0.01
    assert str(VatLine(rate=Decimal(7), gross=eur("12.84"), vat=eur("0.84"))) == (
        "incl. VAT 7 %: 0.84 EUR"
    )


def test_shipping_splits_in_proportion_to_the_goods_rates():
    # 30 EUR of coffee at 7 %, 10 EUR of gear at 19 %, 4.90 EUR shipping: 3.675 / 1.225,
    # an even tie for the last cent, which goes to the higher rate: 3.67 / 1.23.
    totals = cart_totals(
        [(2, eur("15.00"), Decimal(7)), (1, eur("10.00"), Decimal(19))],
        currency="EUR",
        shipping=eur("4.90"),
    )
    assert totals.total == eur("44.90")
    assert [(line.rate, line.gross, line.vat) for line in totals.vat] == [
        (Decimal(7), eur("33.67"), eur("2.20")),
        (Decimal(19), eur("11.23"), eur("1.79")),
    ]


def test_without_rates_there_is_no_breakdown():
    totals = cart_totals([(1, eur("5.00"))], currency="EUR", shipping=eur("4.90"))
    assert totals.total == eur("9.90")
    assert totals.vat == ()
