"""Option groups and variants of the product aggregate: pure given-when-then on decide."""

import uuid
from decimal import Decimal

import pytest

from catalog.domain import (
    INITIAL,
    AddOptionGroup,
    AddVariant,
    AdjustStock,
    ChangeOptionGroup,
    ChangePrice,
    ChangeVariant,
    DuplicateSku,
    InsufficientStock,
    InvalidOptions,
    InvalidPrice,
    InvalidSku,
    InvalidStock,
    InvalidWeight,
    OptionGroupAdded,
    OptionGroupChanged,
    ProductListed,
    ProductPriceChanged,
    ReleaseStock,
    ReserveStock,
    StaleStock,
    StockAdjusted,
    StockReleased,
    StockReserved,
    UnknownVariant,
    VariantAdded,
    VariantChanged,
    decide,
    evolve,
)
from shop.money import Money

P = uuid.UUID(int=1)  # the product, and its default variant
V2, V3 = uuid.UUID(int=2), uuid.UUID(int=3)
ORDER = uuid.UUID(int=9)
SIZES = ("250 g", "500 g", "1 kg")
GRINDS = ("Whole bean", "Espresso", "Filter", "French press")


def eur(amount):
    return Money(Decimal(amount), "EUR")


def fold(events, state=INITIAL):
    for event in events:
        state = evolve(state, event)
    return state


def run(state, *commands):
    for command in commands:
        state = fold(decide(command, state), state)
    return state


LISTED = ProductListed(
    name="Brazil Cerrado",
    slug="brazil-cerrado",
    category="coffee",
    description="",
    price=eur("9.80"),
    variant_id=P,
    sku="BRA-250-WB",
    weight_grams=250,
)


def coffee():
    """Size and Grind; the default variant is 250 g, Whole bean; a 500 g Filter besides."""
    return run(
        fold([LISTED]),
        AddOptionGroup(name="Size", values=SIZES),
        AddOptionGroup(name="Grind", values=GRINDS),
        AddVariant(
            variant_id=V2,
            sku="BRA-500-FI",
            price=eur("17.90"),
            weight_grams=500,
            options=("500 g", "Filter"),
            on_hand=5,
        ),
    )


def add(**changes):
    fields = {
        "variant_id": V3,
        "sku": "BRA-1K-ES",
        "price": eur("32.00"),
        "weight_grams": 1000,
        "options": ("1 kg", "Espresso"),
    }
    return AddVariant(**{**fields, **changes})


def test_a_new_group_gives_every_variant_its_first_value():
    events = decide(AddOptionGroup(name="Size", values=SIZES), fold([LISTED]))
    assert events == [
        OptionGroupAdded(position=0, name="Size", values=SIZES),
        VariantChanged(variant_id=P, sku="BRA-250-WB", weight_grams=250, options=("250 g",)),
    ]


def test_a_variant_per_combination_with_its_own_price_stock_and_weight():
    state = coffee()
    assert [v.options for v in state.variants] == [("250 g", "Whole bean"), ("500 g", "Filter")]
    second = state.variant(V2)
    assert (second.price, second.on_hand, second.weight_grams) == (eur("17.90"), 5, 500)
    assert state.title(second) == "Brazil Cerrado, 500 g, Filter"
    assert state.variant_with(("500 g", "Filter")) == second
    assert state.variant_with(("1 kg", "Filter")) is None  # not sold


def test_adding_a_variant_with_opening_stock():
    assert decide(add(on_hand=3), coffee()) == [
        VariantAdded(
            variant_id=V3,
            sku="BRA-1K-ES",
            price=eur("32.00"),
            weight_grams=1000,
            options=("1 kg", "Espresso"),
        ),
        StockAdjusted(variant_id=V3, on_hand=3, delta=3, reason="opening stock"),
    ]


@pytest.mark.parametrize(
    ("command", "error", "field"),
    [
        (add(price=eur("-1")), InvalidPrice, "price"),
        (add(price=None), InvalidPrice, "price"),
        (add(on_hand=-1), InvalidStock, "stock"),
        (add(weight_grams=-5), InvalidWeight, "weight_grams"),
        (add(sku="bra-500-fi"), DuplicateSku, "sku"),
        (add(sku=""), InvalidSku, "sku"),
        (add(sku='{"a": 1}'), InvalidSku, "sku"),
        (add(options=("2 kg", "Espresso")), InvalidOptions, "options"),
        (add(options=("1 kg",)), InvalidOptions, "options"),
        (add(options=("500 g", "Filter")), InvalidOptions, "options"),  # sold already
        (AddOptionGroup(name="size", values=("x",)), InvalidOptions, "options"),
        (AddOptionGroup(name="Roast", values=()), InvalidOptions, "options"),
        (AddOptionGroup(name="Roast", values=("Dark", "dark")), InvalidOptions, "options"),
        (AddOptionGroup(name=" ", values=("Dark",)), InvalidOptions, "options"),
        (
            ChangeOptionGroup(position=0, name="Size", values=("250 g", "1 kg")),
            InvalidOptions,
            "options",
        ),
        (
            ChangeVariant(
                variant_id=V2, sku="BRA-250-WB", weight_grams=5, options=("500 g", "Filter")
            ),
            DuplicateSku,
            "sku",
        ),
        (ChangePrice(variant_id=V2, price=eur("0")), InvalidPrice, "price"),
        (AdjustStock(variant_id=V2, on_hand=-1), InvalidStock, "stock"),
        (AdjustStock(variant_id=uuid.UUID(int=99), on_hand=1), UnknownVariant, None),
    ],
)
def test_refusals_name_their_field(command, error, field):
    with pytest.raises(error) as refused:
        decide(command, coffee())
    assert refused.value.field == field
    assert str(refused.value)


def test_price_and_stock_per_variant():
    state = coffee()
    assert decide(ChangePrice(variant_id=V2, price=eur("18.50")), state) == [
        ProductPriceChanged(variant_id=V2, price=eur("18.50"), previous=eur("17.90"))
    ]
    assert decide(ChangePrice(variant_id=V2, price=eur("17.90")), state) == []
    assert decide(ReserveStock(quantity=5, order_id=ORDER, variant_id=V2), state) == [
        StockReserved(variant_id=V2, quantity=5, order_id=ORDER, on_hand=0)
    ]
    with pytest.raises(InsufficientStock, match="Brazil Cerrado, 500 g, Filter"):
        decide(ReserveStock(quantity=6, order_id=ORDER, variant_id=V2), state)
    with pytest.raises(InsufficientStock):  # the default variant has none
        decide(ReserveStock(quantity=1, order_id=ORDER), state)
    assert decide(ReleaseStock(quantity=2, order_id=ORDER, variant_id=V2), state) == [
        StockReleased(variant_id=V2, quantity=2, order_id=ORDER, on_hand=7)
    ]
    assert state.on_hand == 5


def test_a_stale_stock_save_is_refused():
    state = coffee()
    with pytest.raises(StaleStock, match="changed to 5"):
        decide(AdjustStock(variant_id=V2, on_hand=20, expected=7), state)
    assert decide(AdjustStock(variant_id=V2, on_hand=20, expected=5), state) == [
        StockAdjusted(variant_id=V2, on_hand=20, delta=15)
    ]


def test_a_save_that_changes_nothing_decides_nothing():
    state = coffee()
    assert decide(ChangeOptionGroup(position=0, name="Size", values=SIZES), state) == []
    same = ChangeVariant(
        variant_id=V2, sku="BRA-500-FI", weight_grams=500, options=("500 g", "Filter")
    )
    assert decide(same, state) == []
    assert decide(AdjustStock(variant_id=V2, on_hand=5), state) == []


def test_a_group_can_gain_values_and_be_renamed():
    state = coffee()
    change = ChangeOptionGroup(position=1, name="Grind size", values=(*GRINDS, "Moka pot"))
    assert decide(change, state) == [
        OptionGroupChanged(position=1, name="Grind size", values=(*GRINDS, "Moka pot"))
    ]
    moved = run(
        state,
        change,
        ChangeVariant(
            variant_id=V2, sku="BRA-500-MP", weight_grams=500, options=("500 g", "Moka pot")
        ),
    )
    assert moved.variant(V2).label == "500 g, Moka pot"
