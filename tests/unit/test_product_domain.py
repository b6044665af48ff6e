import uuid
from decimal import Decimal

import pytest

from catalog.domain import (
    INITIAL,
    AdjustStock,
    ChangePrice,
    DelistProduct,
    InsufficientStock,
    InvalidPrice,
    ListProduct,
    ProductAlreadyListed,
    ProductListed,
    ProductNotListed,
    ProductPriceChanged,
    ReleaseStock,
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


def fold(events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


LISTED = ProductListed(name="Tea", slug="tea", category="tea", description="", price=PRICE)


def listing():
    return ListProduct(name="Tea", slug="tea", category="tea", description="", price=PRICE)


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
        ProductPriceChanged(price=new, previous=PRICE)
    ]


def test_adjust_stock_records_the_delta():
    state = fold([LISTED, StockAdjusted(on_hand=5, delta=5)])
    assert decide(AdjustStock(on_hand=3), state) == [StockAdjusted(on_hand=3, delta=-2)]


def test_reserve_within_stock():
    state = fold([LISTED, StockAdjusted(on_hand=5, delta=5)])
    assert decide(ReserveStock(quantity=5, order_id=ORDER), state) == [
        StockReserved(quantity=5, order_id=ORDER, on_hand=0)
    ]


def test_reserve_more_than_stock_is_refused_with_what_is_left():
    state = fold([LISTED, StockAdjusted(on_hand=2, delta=2)])
    with pytest.raises(InsufficientStock) as refusal:
        decide(ReserveStock(quantity=3, order_id=ORDER), state)
    assert refusal.value.available == 2
    assert str(refusal.value) == "Only 2 of Tea left in stock."


def test_release_returns_stock_even_after_delisting():
    state = fold([LISTED, StockReserved(quantity=1, order_id=ORDER, on_hand=0), *[]])
    state = evolve(state, decide(DelistProduct(), state)[0])
    assert decide(ReleaseStock(quantity=1, order_id=ORDER), state) == [
        StockReleased(quantity=1, order_id=ORDER, on_hand=1)
    ]


def test_a_delisted_product_takes_no_reservation():
    state = fold([LISTED, StockAdjusted(on_hand=5, delta=5)])
    state = evolve(state, decide(DelistProduct(), state)[0])
    with pytest.raises(ProductNotListed):
        decide(ReserveStock(quantity=1, order_id=ORDER), state)
