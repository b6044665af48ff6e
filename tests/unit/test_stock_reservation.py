"""Stock reservation on the product aggregate, as checkout and cancellation use it."""

import uuid
from decimal import Decimal

import pytest

from catalog.domain import (
    INITIAL,
    InsufficientStock,
    InvalidStock,
    ProductDelisted,
    ProductListed,
    ProductNotListed,
    ReleaseStock,
    ReserveStock,
    StockAdjusted,
    StockReleased,
    StockReserved,
    decide,
    evolve,
)
from shop.money import Money

ORDER = uuid.UUID(int=42)
OTHER = uuid.UUID(int=43)
V = uuid.UUID(int=44)  # the default variant
LISTED = ProductListed(
    name="Kenya AA",
    slug="kenya-aa",
    category="coffee",
    description="",
    price=Money(Decimal(16), "EUR"),
    variant_id=V,
    sku="KENYA-AA",
    weight_grams=250,
)


def fold(*events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


def stocked(n):
    return fold(LISTED, StockAdjusted(variant_id=V, on_hand=n, delta=n))


def test_the_last_units_can_be_reserved():
    assert decide(ReserveStock(quantity=5, order_id=ORDER), stocked(5)) == [
        StockReserved(variant_id=V, quantity=5, order_id=ORDER, on_hand=0)
    ]


def test_the_second_reservation_sees_the_first():
    state = evolve(stocked(5), StockReserved(variant_id=V, quantity=4, order_id=ORDER, on_hand=1))
    with pytest.raises(InsufficientStock) as refused:
        decide(ReserveStock(quantity=2, order_id=OTHER), state)
    assert str(refused.value) == "Only 1 of Kenya AA left in stock."
    assert (refused.value.name, refused.value.available) == ("Kenya AA", 1)


def test_sold_out():
    state = evolve(stocked(1), StockReserved(variant_id=V, quantity=1, order_id=ORDER, on_hand=0))
    with pytest.raises(InsufficientStock, match=r"Only 0 of Kenya AA left in stock\."):
        decide(ReserveStock(quantity=1, order_id=OTHER), state)


def test_reserving_nothing_is_refused():
    with pytest.raises(InvalidStock):
        decide(ReserveStock(quantity=0, order_id=ORDER), stocked(5))


def test_a_delisted_product_cannot_be_reserved():
    with pytest.raises(ProductNotListed):
        decide(ReserveStock(quantity=1, order_id=ORDER), evolve(stocked(5), ProductDelisted()))


def test_release_gives_the_stock_back_even_after_delisting():
    state = fold(
        LISTED,
        StockAdjusted(variant_id=V, on_hand=5, delta=5),
        StockReserved(variant_id=V, quantity=3, order_id=ORDER, on_hand=2),
        ProductDelisted(),
    )
    assert decide(ReleaseStock(quantity=3, order_id=ORDER), state) == [
        StockReleased(variant_id=V, quantity=3, order_id=ORDER, on_hand=5)
    ]
    assert (
        evolve(state, StockReleased(variant_id=V, quantity=3, order_id=ORDER, on_hand=5)).on_hand
        == 5
    )
