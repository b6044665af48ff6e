"""Given events, when a command, then events (or a named refusal). No database."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from carts.domain import (
    INITIAL,
    MAX_QUANTITY,
    AddItem,
    ApplyCoupon,
    CartAlreadyCheckedOut,
    CartCheckedOut,
    CartClosed,
    CartMerged,
    CartMergedInto,
    ChangeQuantity,
    CheckoutCart,
    CloseAsMerged,
    CouponApplied,
    CouponRefused,
    CouponRemoved,
    EmptyCart,
    InvalidQuantity,
    ItemAdded,
    ItemNotInCart,
    ItemQuantityChanged,
    ItemRemoved,
    Line,
    MergeCart,
    NotEnoughStock,
    RemoveCoupon,
    RemoveItem,
    decide,
    evolve,
)
from carts.pricing import CouponTerms, DiscountKind
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
    return ItemAdded(product_id=product, variant_id=product, quantity=quantity, unit_price=price)


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
            ItemQuantityChanged(product_id=COFFEE, variant_id=COFFEE, quantity=5, previous=2)
        ]
        assert evolve(state, decide(command, state)[0]).quantity_of(COFFEE) == 5

    def test_same_quantity_is_a_no_op(self):
        command = ChangeQuantity(product_id=COFFEE, quantity=2, available=10)
        assert decide(command, fold([added(quantity=2)])) == []

    def test_zero_removes_the_line(self):
        command = ChangeQuantity(product_id=COFFEE, quantity=0, available=10)
        assert decide(command, fold([added(quantity=2)])) == [
            ItemRemoved(product_id=COFFEE, variant_id=COFFEE, quantity=2, unit_price=PRICE)
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
        assert events == [
            ItemRemoved(product_id=COFFEE, variant_id=COFFEE, quantity=1, unit_price=PRICE)
        ]
        assert [line.product_id for line in fold([added(), added(TEA), *events]).lines] == [TEA]

    def test_cannot_change_or_remove_what_is_not_in_the_cart(self):
        with pytest.raises(ItemNotInCart):
            decide(RemoveItem(product_id=TEA), fold([added()]))
        with pytest.raises(ItemNotInCart):
            decide(ChangeQuantity(product_id=TEA, quantity=1, available=5), fold([added()]))


class TestMerge:
    def test_merge_adds_quantities_capped_by_stock(self):
        guest = (Line(product_id=COFFEE, variant_id=COFFEE, quantity=4, unit_price=PRICE),)
        command = MergeCart(source_cart_id=uuid.UUID(int=9), lines=guest, available={COFFEE: 5})
        events = decide(command, fold([added(quantity=3)]))
        assert events == [
            CartMerged(
                source_cart_id=uuid.UUID(int=9),
                lines=(Line(product_id=COFFEE, variant_id=COFFEE, quantity=2, unit_price=PRICE),),
            )
        ]
        assert fold([added(quantity=3), *events]).quantity_of(COFFEE) == 5

    def test_merging_the_same_cart_twice_adds_nothing(self):
        source = uuid.UUID(int=9)
        guest = (Line(product_id=TEA, variant_id=TEA, quantity=1, unit_price=PRICE),)
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


NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
WELCOME = CouponTerms(code="WELCOME10", kind=DiscountKind.PERCENT, value=Decimal(10))


def apply_coupon(coupon=WELCOME, code="welcome10", subtotal="25.00"):
    return ApplyCoupon(code=code, coupon=coupon, subtotal=Money(Decimal(subtotal), "EUR"), now=NOW)


class TestCoupons:
    def test_apply(self):
        assert decide(apply_coupon(), fold([added()])) == [CouponApplied(code="WELCOME10")]
        assert fold([added(), CouponApplied(code="WELCOME10")]).coupon == "WELCOME10"

    def test_applying_the_same_coupon_again_is_a_no_op(self):
        assert decide(apply_coupon(), fold([added(), CouponApplied(code="WELCOME10")])) == []

    def test_another_coupon_replaces_the_first(self):
        other = replace(WELCOME, code="SPRING")
        state = fold([added(), CouponApplied(code="WELCOME10")])
        assert decide(apply_coupon(other, code="spring"), state) == [CouponApplied(code="SPRING")]

    @pytest.mark.parametrize(
        ("coupon", "message"),
        [
            (None, "There is no coupon with the code 'welcome10'."),
            (replace(WELCOME, active=False), "no longer active"),
            (replace(WELCOME, valid_until=NOW - timedelta(seconds=1)), "has expired"),
            (replace(WELCOME, valid_from=NOW + timedelta(days=1)), "not valid yet"),
            (replace(WELCOME, minimum_subtotal=Decimal(30)), "at least 30.00 EUR"),
        ],
    )
    def test_refusals_are_named_and_say_why(self, coupon, message):
        with pytest.raises(CouponRefused, match=message):
            decide(apply_coupon(coupon), fold([added()]))

    def test_a_coupon_its_stream_says_is_used_up_is_refused(self):
        command = replace(apply_coupon(), used_up=True)
        with pytest.raises(CouponRefused, match="The coupon WELCOME10 has been used up"):
            decide(command, fold([added()]))

    def test_an_empty_cart_takes_no_coupon(self):
        with pytest.raises(EmptyCart):
            decide(apply_coupon(), INITIAL)

    def test_a_very_long_unknown_code_is_cut_in_the_message(self):
        with pytest.raises(CouponRefused) as refusal:
            decide(apply_coupon(None, code="X" * 10_000), fold([added()]))
        assert len(str(refusal.value)) < 100

    def test_remove(self):
        state = fold([added(), CouponApplied(code="WELCOME10")])
        events = decide(RemoveCoupon(), state)
        assert events == [CouponRemoved(code="WELCOME10")]
        assert evolve(state, events[0]).coupon is None

    def test_removing_no_coupon_is_a_no_op(self):
        assert decide(RemoveCoupon(), fold([added()])) == []

    def test_a_closed_cart_takes_no_coupon(self):
        closed = fold([added(), CartMergedInto(target_cart_id=uuid.uuid4())])
        with pytest.raises(CartClosed):
            decide(apply_coupon(), closed)
        with pytest.raises(CartClosed):
            decide(RemoveCoupon(), closed)


class TestClosedCarts:
    @pytest.mark.parametrize(
        "command",
        [
            ChangeQuantity(product_id=COFFEE, quantity=2, available=5),
            RemoveItem(product_id=COFFEE),
            MergeCart(source_cart_id=uuid.UUID(int=7), lines=(), available={}),
            CheckoutCart(order_id=uuid.UUID(int=8)),
        ],
    )
    def test_merged_and_checked_out_carts_refuse_every_command(self, command):
        with pytest.raises(CartClosed):
            decide(command, fold([added(), CartMergedInto(target_cart_id=uuid.uuid4())]))
        with pytest.raises(CartAlreadyCheckedOut):
            decide(command, fold([added(), CartCheckedOut(order_id=uuid.uuid4())]))

    def test_close_as_merged(self):
        target = uuid.uuid4()
        assert decide(CloseAsMerged(target_cart_id=target), fold([added()])) == [
            CartMergedInto(target_cart_id=target)
        ]

    def test_a_cart_merged_elsewhere_cannot_be_merged_again(self):
        state = fold([added(), CartMergedInto(target_cart_id=uuid.uuid4())])
        with pytest.raises(CartClosed):
            decide(CloseAsMerged(target_cart_id=uuid.uuid4()), state)


class TestMergeCapping:
    def test_lines_without_stock_bring_nothing(self):
        guest = (
            Line(product_id=COFFEE, variant_id=COFFEE, quantity=2, unit_price=PRICE),
            Line(product_id=TEA, variant_id=TEA, quantity=3, unit_price=PRICE),
        )
        command = MergeCart(source_cart_id=uuid.UUID(int=9), lines=guest, available={TEA: 10})
        [event] = decide(command, INITIAL)
        assert event.lines == (Line(product_id=TEA, variant_id=TEA, quantity=3, unit_price=PRICE),)

    def test_merge_respects_the_line_limit(self):
        guest = (Line(product_id=COFFEE, variant_id=COFFEE, quantity=50, unit_price=PRICE),)
        state = fold([added(quantity=60)])
        command = MergeCart(source_cart_id=uuid.UUID(int=9), lines=guest, available={COFFEE: 500})
        [event] = decide(command, state)
        assert fold([added(quantity=60), event]).quantity_of(COFFEE) == MAX_QUANTITY

    def test_the_merged_line_keeps_the_customers_price(self):
        later = Money(Decimal("15.00"), "EUR")
        guest = (Line(product_id=COFFEE, variant_id=COFFEE, quantity=1, unit_price=later),)
        command = MergeCart(source_cart_id=uuid.UUID(int=9), lines=guest, available={COFFEE: 9})
        state = fold([added(), *decide(command, fold([added()]))])
        assert state.line(COFFEE) == Line(
            product_id=COFFEE, variant_id=COFFEE, quantity=2, unit_price=PRICE
        )


class TestChangeMore:
    def test_change_refuses_above_the_line_limit(self):
        with pytest.raises(InvalidQuantity):
            decide(
                ChangeQuantity(product_id=COFFEE, quantity=MAX_QUANTITY + 1, available=500),
                fold([added()]),
            )

    def test_change_down_on_a_product_with_enough_stock(self):
        command = ChangeQuantity(product_id=COFFEE, quantity=1, available=1)
        assert decide(command, fold([added(quantity=3)])) == [
            ItemQuantityChanged(product_id=COFFEE, variant_id=COFFEE, quantity=1, previous=3)
        ]

    def test_removed_then_added_again_starts_at_the_new_price(self):
        later = Money(Decimal("15.00"), "EUR")
        removed = ItemRemoved(product_id=COFFEE, variant_id=COFFEE, quantity=1, unit_price=PRICE)
        state = fold([added(), removed, added(price=later)])
        assert state.line(COFFEE).unit_price == later
