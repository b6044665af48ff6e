"""Given events, when a command, then events (or a named refusal). No database."""

import uuid
from decimal import Decimal

import pytest

from carts.domain import (
    INITIAL,
    MAX_QUANTITY,
    AddItem,
    CartAlreadyCheckedOut,
    CartCheckedOut,
    CartClosed,
    CartMerged,
    CartMergedInto,
    ChangeQuantity,
    CheckoutCart,
    CloseAsMerged,
    EmptyCart,
    InvalidQuantity,
    ItemAdded,
    ItemNotInCart,
    ItemQuantityChanged,
    ItemRemoved,
    Line,
    MergeCart,
    NotEnoughStock,
    RemoveItem,
    decide,
    evolve,
)
from shop.money import Money

COFFEE = uuid.UUID(int=1)
TEA = uuid.UUID(int=2)
PRICE = Money(Decimal("12.50"), "EUR")


def fold(events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


def added(product=COFFEE, quantity=1, price=PRICE):
    return ItemAdded(product_id=product, quantity=quantity, unit_price=price)


def add(product=COFFEE, quantity=1, available=100):
    return AddItem(product_id=product, quantity=quantity, unit_price=PRICE, available=available)


class TestAddItem:
    def test_adds_to_an_empty_cart(self):
        assert decide(add(quantity=2), fold([])) == [added(quantity=2)]

    def test_adding_again_increases_the_line(self):
        state = fold([added(quantity=2), added(quantity=3)])
        assert state.quantity_of(COFFEE) == 5
        assert len(state.lines) == 1
        assert state.item_count == 5

    def test_keeps_the_price_the_line_was_first_added_at(self):
        later = Money(Decimal("14.00"), "EUR")
        state = fold([added(quantity=1), added(quantity=1, price=later)])
        assert state.line(COFFEE).unit_price == PRICE

    @pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, 10**9])
    def test_refuses_a_quantity_outside_the_limits(self, quantity):
        with pytest.raises(InvalidQuantity):
            decide(add(quantity=quantity), fold([]))

    def test_refuses_to_go_over_the_line_limit(self):
        with pytest.raises(InvalidQuantity):
            decide(add(quantity=2), fold([added(quantity=MAX_QUANTITY - 1)]))

    def test_refuses_more_than_the_stock(self):
        with pytest.raises(NotEnoughStock) as refusal:
            decide(add(quantity=2, available=3), fold([added(quantity=2)]))
        assert refusal.value.available == 3
        assert "Only 3 available" in str(refusal.value)

    def test_refuses_an_out_of_stock_product(self):
        with pytest.raises(NotEnoughStock, match="out of stock"):
            decide(add(available=0), fold([]))

    def test_a_checked_out_cart_takes_no_more_commands(self):
        with pytest.raises(CartAlreadyCheckedOut):
            decide(add(), fold([added(), CartCheckedOut(order_id=uuid.uuid4())]))

    def test_a_merged_cart_takes_no_more_commands(self):
        with pytest.raises(CartClosed):
            decide(add(), fold([added(), CartMergedInto(target_cart_id=uuid.uuid4())]))


class TestChangeAndRemove:
    def test_change_quantity(self):
        state = fold([added(quantity=2)])
        command = ChangeQuantity(product_id=COFFEE, quantity=5, available=10)
        assert decide(command, state) == [
            ItemQuantityChanged(product_id=COFFEE, quantity=5, previous=2)
        ]
        assert evolve(state, decide(command, state)[0]).quantity_of(COFFEE) == 5

    def test_same_quantity_is_a_no_op(self):
        command = ChangeQuantity(product_id=COFFEE, quantity=2, available=10)
        assert decide(command, fold([added(quantity=2)])) == []

    def test_zero_removes_the_line(self):
        command = ChangeQuantity(product_id=COFFEE, quantity=0, available=10)
        assert decide(command, fold([added(quantity=2)])) == [
            ItemRemoved(product_id=COFFEE, quantity=2, unit_price=PRICE)
        ]

    def test_change_refuses_more_than_stock(self):
        with pytest.raises(NotEnoughStock):
            decide(ChangeQuantity(product_id=COFFEE, quantity=9, available=4), fold([added()]))

    def test_change_refuses_a_negative_quantity(self):
        with pytest.raises(InvalidQuantity):
            decide(ChangeQuantity(product_id=COFFEE, quantity=-1, available=4), fold([added()]))

    def test_remove(self):
        state = fold([added(), added(TEA)])
        events = decide(RemoveItem(product_id=COFFEE), state)
        assert events == [ItemRemoved(product_id=COFFEE, quantity=1, unit_price=PRICE)]
        assert [line.product_id for line in fold([added(), added(TEA), *events]).lines] == [TEA]

    def test_cannot_change_or_remove_what_is_not_in_the_cart(self):
        with pytest.raises(ItemNotInCart):
            decide(RemoveItem(product_id=TEA), fold([added()]))
        with pytest.raises(ItemNotInCart):
            decide(ChangeQuantity(product_id=TEA, quantity=1, available=5), fold([added()]))


class TestMerge:
    def test_merge_adds_quantities_capped_by_stock(self):
        guest = (Line(product_id=COFFEE, quantity=4, unit_price=PRICE),)
        command = MergeCart(source_cart_id=uuid.UUID(int=9), lines=guest, available={COFFEE: 5})
        events = decide(command, fold([added(quantity=3)]))
        assert events == [
            CartMerged(
                source_cart_id=uuid.UUID(int=9),
                lines=(Line(product_id=COFFEE, quantity=2, unit_price=PRICE),),
            )
        ]
        assert fold([added(quantity=3), *events]).quantity_of(COFFEE) == 5

    def test_merging_the_same_cart_twice_adds_nothing(self):
        source = uuid.UUID(int=9)
        guest = (Line(product_id=TEA, quantity=1, unit_price=PRICE),)
        first = decide(MergeCart(source_cart_id=source, lines=guest, available={TEA: 5}), INITIAL)
        state = fold(first)
        again = MergeCart(source_cart_id=source, lines=guest, available={TEA: 5})
        assert decide(again, state) == []

    def test_close_as_merged_is_idempotent(self):
        target = uuid.uuid4()
        state = fold([added(), CartMergedInto(target_cart_id=target)])
        assert decide(CloseAsMerged(target_cart_id=target), state) == []


class TestCheckout:
    def test_empty_cart_cannot_be_checked_out(self):
        with pytest.raises(EmptyCart):
            decide(CheckoutCart(order_id=uuid.uuid4()), INITIAL)

    def test_checkout(self):
        order_id = uuid.uuid4()
        assert decide(CheckoutCart(order_id=order_id), fold([added()])) == [
            CartCheckedOut(order_id=order_id)
        ]
