import uuid
from decimal import Decimal

import pytest

from catalog.domain import (
    INITIAL,
    AdjustStock,
    ChangePrice,
    ChangeProductDetails,
    DelistProduct,
    InsufficientStock,
    InvalidCategory,
    InvalidDescription,
    InvalidName,
    InvalidPrice,
    InvalidSlug,
    InvalidStock,
    ListProduct,
    ProductAlreadyListed,
    ProductDelisted,
    ProductDetailsChanged,
    ProductListed,
    ProductNotListed,
    ProductPriceChanged,
    ProductRelisted,
    ReleaseStock,
    RelistProduct,
    ReserveStock,
    StockAdjusted,
    StockReleased,
    StockReserved,
    decide,
    evolve,
)
from shop.money import Money

PRICE = Money(Decimal("9.90"), "EUR")
ORDER = uuid.UUID(int=7)
V = uuid.UUID(int=8)  # the default variant


def fold(events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


LISTED = ProductListed(
    name="Tea",
    slug="tea",
    category="tea",
    description="",
    price=PRICE,
    variant_id=V,
    sku="TEA",
    weight_grams=0,
)


def listing(**changes):
    fields = {
        "name": "Tea",
        "slug": "tea",
        "category": "tea",
        "description": "",
        "price": PRICE,
        "variant_id": V,
    }
    return ListProduct(**{**fields, **changes})


def test_list_a_product():
    assert decide(listing(), INITIAL) == [LISTED]


def test_cannot_list_twice():
    with pytest.raises(ProductAlreadyListed):
        decide(listing(), fold([LISTED]))


def test_price_must_be_positive():
    with pytest.raises(InvalidPrice):
        decide(ChangePrice(price=Money(Decimal(0), "EUR")), fold([LISTED]))


def test_price_change_records_the_previous_price():
    new = Money(Decimal("11.00"), "EUR")
    assert decide(ChangePrice(price=new), fold([LISTED])) == [
        ProductPriceChanged(variant_id=V, price=new, previous=PRICE)
    ]


def test_adjust_stock_records_the_delta():
    state = fold([LISTED, StockAdjusted(variant_id=V, on_hand=5, delta=5)])
    assert decide(AdjustStock(on_hand=3), state) == [
        StockAdjusted(variant_id=V, on_hand=3, delta=-2)
    ]


def test_reserve_within_stock():
    state = fold([LISTED, StockAdjusted(variant_id=V, on_hand=5, delta=5)])
    assert decide(ReserveStock(quantity=5, order_id=ORDER), state) == [
        StockReserved(variant_id=V, quantity=5, order_id=ORDER, on_hand=0)
    ]


def test_reserve_more_than_stock_is_refused_with_what_is_left():
    state = fold([LISTED, StockAdjusted(variant_id=V, on_hand=2, delta=2)])
    with pytest.raises(InsufficientStock) as refusal:
        decide(ReserveStock(quantity=3, order_id=ORDER), state)
    assert refusal.value.available == 2
    assert str(refusal.value) == "Only 2 of Tea left in stock."


def test_release_returns_stock_even_after_delisting():
    state = fold([LISTED, StockReserved(variant_id=V, quantity=1, order_id=ORDER, on_hand=0), *[]])
    state = evolve(state, decide(DelistProduct(), state)[0])
    assert decide(ReleaseStock(quantity=1, order_id=ORDER), state) == [
        StockReleased(variant_id=V, quantity=1, order_id=ORDER, on_hand=1)
    ]


def test_a_delisted_product_takes_no_reservation():
    state = fold([LISTED, StockAdjusted(variant_id=V, on_hand=5, delta=5)])
    state = evolve(state, decide(DelistProduct(), state)[0])
    with pytest.raises(ProductNotListed):
        decide(ReserveStock(quantity=1, order_id=ORDER), state)


# --- Staff commands: details, delisting, relisting -----------------------------------------

DELISTED = fold([LISTED, ProductDelisted()])


def details(**changes):
    fields = {"name": "Tea", "description": "", "category": "tea"}
    return ChangeProductDetails(**{**fields, **changes})


def test_changing_details_records_all_three_and_folds_them():
    command = details(name="Green tea", description="Grassy.", category="green")
    events = decide(command, fold([LISTED]))
    assert events == [
        ProductDetailsChanged(name="Green tea", description="Grassy.", category="green")
    ]
    state = fold([LISTED, *events])
    assert state.details() == ("Green tea", "Grassy.", "green")


def test_details_that_change_nothing_record_nothing():
    assert decide(details(), fold([LISTED])) == []


@pytest.mark.parametrize(
    ("command", "error", "field"),
    [
        (details(name=""), InvalidName, "name"),
        (details(name="   "), InvalidName, "name"),
        (details(name="x" * 201), InvalidName, "name"),
        (details(name="a\x00b"), InvalidName, "name"),
        (details(description="a\x00b"), InvalidDescription, "description"),
        (details(category="not a slug"), InvalidCategory, "category"),
        (details(category="x" * 51), InvalidCategory, "category"),
        (listing(slug=""), InvalidSlug, "slug"),
        (listing(slug="tea leaves"), InvalidSlug, "slug"),
        (listing(slug="t" * 121), InvalidSlug, "slug"),
        (listing(name=""), InvalidName, "name"),
        (listing(price=Money(Decimal("-1"), "EUR")), InvalidPrice, "price"),
        (listing(price=Money(Decimal("1.234"), "EUR")), InvalidPrice, "price"),
        (listing(price=Money(Decimal("NaN"), "EUR")), InvalidPrice, "price"),
        (listing(price=Money(Decimal(10) ** 10, "EUR")), InvalidPrice, "price"),
        (ChangePrice(price=Money(Decimal("-0.01"), "EUR")), InvalidPrice, "price"),
        (AdjustStock(on_hand=-1), InvalidStock, "stock"),
        (AdjustStock(on_hand=2**31), InvalidStock, "stock"),
    ],
)
def test_refusals_name_the_field_they_refuse(command, error, field):
    given = INITIAL if isinstance(command, ListProduct) else fold([LISTED])
    with pytest.raises(error) as refusal:
        decide(command, given)
    assert refusal.value.field == field
    assert str(refusal.value)


def test_a_listed_slug_is_refused_on_the_slug():
    with pytest.raises(ProductAlreadyListed) as refusal:
        decide(listing(), DELISTED)
    assert refusal.value.field == "slug"


def test_delist_then_relist():
    assert decide(DelistProduct(), fold([LISTED])) == [ProductDelisted()]
    assert decide(RelistProduct(), DELISTED) == [ProductRelisted()]
    assert not fold([LISTED, ProductDelisted(), ProductRelisted()]).delisted


def test_delisting_twice_or_relisting_a_listed_product_records_nothing():
    assert decide(DelistProduct(), DELISTED) == []
    assert decide(RelistProduct(), fold([LISTED])) == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            details(name="Old tea"),
            [ProductDetailsChanged(name="Old tea", description="", category="tea")],
        ),
        (
            ChangePrice(price=Money(Decimal("5.00"), "EUR")),
            [
                ProductPriceChanged(
                    variant_id=V, price=Money(Decimal("5.00"), "EUR"), previous=PRICE
                )
            ],
        ),
        (AdjustStock(on_hand=4), [StockAdjusted(variant_id=V, on_hand=4, delta=4)]),
    ],
)
def test_staff_edit_a_delisted_product(command, expected):
    assert decide(command, DELISTED) == expected


@pytest.mark.parametrize(
    "command",
    [details(), ChangePrice(price=PRICE), AdjustStock(on_hand=1), DelistProduct(), RelistProduct()],
)
def test_a_product_never_listed_takes_no_staff_command(command):
    with pytest.raises(ProductNotListed):
        decide(command, INITIAL)
