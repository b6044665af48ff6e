"""The order aggregate, given → when → then on the pure decide/evolve."""

import dataclasses
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.domain import (
    INITIAL,
    Address,
    AuthorizePayment,
    Cancel,
    CapturePayment,
    ClaimOrder,
    Customer,
    EmptyOrder,
    InvalidOrderTotals,
    MarkShipped,
    OrderAlreadyPaid,
    OrderAlreadyPlaced,
    OrderAlreadyShipped,
    OrderCancelled,
    OrderCancelledError,
    OrderClaimed,
    OrderLine,
    OrderNotPaid,
    OrderNotPlaced,
    OrderOfAnotherCustomer,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentAuthorized,
    PaymentCaptured,
    PlaceOrder,
    Status,
    decide,
    evolve,
)
from shop.money import Money

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CART = uuid.UUID(int=1)
TEA = OrderLine(
    product_id=uuid.UUID(int=2),
    variant_id=uuid.UUID(int=2),
    sku="TEA",
    name="Tea",
    variant_label="",
    weight_grams=100,
    quantity=2,
    unit_price=Money(Decimal("6.40"), "EUR"),
)
MUG = OrderLine(
    product_id=uuid.UUID(int=3),
    variant_id=uuid.UUID(int=3),
    sku="MUG",
    name="Mug",
    variant_label="",
    weight_grams=350,
    quantity=1,
    unit_price=Money(Decimal("12.00"), "EUR"),
)
CUSTOMER = Customer(email="ada@example.com", user_id=7, actor="user:7")
ADDRESS = Address(
    full_name="Ada Lovelace", address="12 Square", city="London", postal_code="SW1", country="UK"
)


def eur(amount):
    return Money(Decimal(amount), "EUR")


def place(**overrides):
    fields = {
        "cart_id": CART,
        "lines": (TEA, MUG),
        "subtotal": eur("24.80"),
        "discount": eur("2.48"),
        "total": eur("22.32"),
        "coupon_code": "TEN",
        "customer": CUSTOMER,
        "address": ADDRESS,
        "placed_at": NOW,
    }
    return PlaceOrder(**{**fields, **overrides})


PLACED = OrderPlaced(
    cart_id=CART,
    lines=(TEA, MUG),
    subtotal=eur("24.80"),
    discount=eur("2.48"),
    total=eur("22.32"),
    currency="EUR",
    coupon_code="TEN",
    customer=CUSTOMER,
    address=ADDRESS,
    placed_at=NOW,
)
PAY = uuid.UUID(int=10)
AUTHORIZED = PaymentAuthorized(
    payment_id=PAY, amount=eur("22.32"), card_last4="4242", reference="auth_1", authorized_at=NOW
)
CAPTURED = PaymentCaptured(payment_id=PAY, amount=eur("22.32"), reference="cap_1", captured_at=NOW)
PAID = OrderPaid(paid_at=NOW)
# Paid the way the shop pays: authorized, captured, then paid.
PAID_ORDER = (PLACED, AUTHORIZED, CAPTURED, PAID)


def authorize(payment_id=PAY, amount="22.32"):
    return AuthorizePayment(
        payment_id=payment_id, amount=eur(amount), card_last4="4242", reference="auth_1", at=NOW
    )


CAPTURE = CapturePayment(payment_id=PAY, amount=eur("22.32"), reference="cap_1", at=NOW)
SHIPPED = OrderShipped(shipped_at=NOW)
CANCELLED = OrderCancelled(cancelled_at=NOW, reason="")


def fold(*events):
    state = INITIAL
    for event in events:
        state = evolve(state, event)
    return state


def test_place_an_order():
    assert decide(place(), INITIAL) == [PLACED]


def test_placed_state_keeps_what_cancelling_needs():
    state = fold(PLACED)
    assert state.status == Status.PLACED
    assert state.lines == (TEA, MUG) and state.coupon_code == "TEN"


def test_an_order_is_placed_once():
    with pytest.raises(OrderAlreadyPlaced):
        decide(place(), fold(PLACED))


def test_an_order_needs_lines():
    with pytest.raises(EmptyOrder):
        decide(place(lines=()), INITIAL)


@pytest.mark.parametrize(
    "overrides",
    [
        {"subtotal": eur("20.00")},
        {"total": eur("24.80")},
        {"discount": eur("30.00"), "total": eur("-5.20")},
        {"discount": eur("-1.00"), "total": eur("25.80")},
        {"total": Money(Decimal("22.32"), "USD")},
    ],
)
def test_totals_must_add_up(overrides):
    with pytest.raises(InvalidOrderTotals):
        decide(place(**overrides), INITIAL)


def test_line_total():
    assert TEA.total == eur("12.80")


@pytest.mark.parametrize("command", [authorize(), CAPTURE, MarkShipped(at=NOW), Cancel(at=NOW)])
def test_commands_need_a_placed_order(command):
    with pytest.raises(OrderNotPlaced):
        decide(command, INITIAL)


def test_pay_then_ship():
    assert decide(authorize(), fold(PLACED)) == [AUTHORIZED]
    assert decide(CAPTURE, fold(PLACED, AUTHORIZED)) == [CAPTURED, PAID]
    assert decide(MarkShipped(at=NOW), fold(*PAID_ORDER)) == [SHIPPED]
    assert fold(*PAID_ORDER, SHIPPED).status == Status.SHIPPED


def test_paying_twice_is_refused():
    another = uuid.UUID(int=11)
    with pytest.raises(OrderAlreadyPaid):
        decide(authorize(another), fold(*PAID_ORDER))
    with pytest.raises(OrderAlreadyPaid):
        decide(authorize(another), fold(*PAID_ORDER, SHIPPED))


def test_shipping_before_payment_is_refused():
    with pytest.raises(OrderNotPaid):
        decide(MarkShipped(at=NOW), fold(PLACED))


def test_shipping_twice_is_refused():
    with pytest.raises(OrderAlreadyShipped):
        decide(MarkShipped(at=NOW), fold(*PAID_ORDER, SHIPPED))


@pytest.mark.parametrize("given", [(PLACED,), PAID_ORDER])
def test_cancel_before_shipping(given):
    assert decide(Cancel(at=NOW, reason="asked"), fold(*given)) == [
        OrderCancelled(cancelled_at=NOW, reason="asked")
    ]
    assert fold(*given, CANCELLED).status == Status.CANCELLED


def test_a_shipped_order_cannot_be_cancelled():
    with pytest.raises(OrderAlreadyShipped):
        decide(Cancel(at=NOW), fold(*PAID_ORDER, SHIPPED))


@pytest.mark.parametrize("command", [authorize(), MarkShipped(at=NOW), Cancel(at=NOW)])
def test_a_cancelled_order_takes_no_more_commands(command):
    with pytest.raises(OrderCancelledError):
        decide(command, fold(PLACED, CANCELLED))


def test_refusals_have_messages_for_people():
    with pytest.raises(OrderCancelledError, match=r"This order has been cancelled\."):
        decide(MarkShipped(at=NOW), fold(PLACED, CANCELLED))


def test_evolve_ignores_what_it_does_not_know():
    assert evolve(fold(PLACED), object()) == fold(PLACED)


# --- A guest order, claimed by the customer who signs up or logs in -------------------------

GUEST = Customer(email="guest@example.com", user_id=None, actor="guest:abc")
GUEST_PLACED = dataclasses.replace(PLACED, customer=GUEST)
CLAIMED = OrderClaimed(user_id=7, claimed_at=NOW)


def test_a_guest_order_is_claimed_by_a_customer():
    assert fold(GUEST_PLACED).customer_id is None
    assert decide(ClaimOrder(user_id=7, at=NOW), fold(GUEST_PLACED)) == [CLAIMED]
    assert fold(GUEST_PLACED, CLAIMED).customer_id == 7


@pytest.mark.parametrize("given", [(PLACED,), (GUEST_PLACED, CLAIMED)])
def test_claiming_an_order_one_owns_already_changes_nothing(given):
    assert decide(ClaimOrder(user_id=7, at=NOW), fold(*given)) == []


@pytest.mark.parametrize("given", [(PLACED,), (GUEST_PLACED, CLAIMED)])
def test_another_customers_order_cannot_be_claimed(given):
    with pytest.raises(OrderOfAnotherCustomer, match="belongs to another customer"):
        decide(ClaimOrder(user_id=8, at=NOW), fold(*given))


def test_only_a_placed_order_can_be_claimed():
    with pytest.raises(OrderNotPlaced):
        decide(ClaimOrder(user_id=7, at=NOW), INITIAL)


@pytest.mark.parametrize("then", [PAID, CANCELLED])
def test_a_paid_or_cancelled_guest_order_can_still_be_claimed(then):
    state = fold(GUEST_PLACED, then)
    assert decide(ClaimOrder(user_id=7, at=NOW), state) == [CLAIMED]
    assert fold(GUEST_PLACED, then, CLAIMED).status == state.status
