"""Payments, refunds and returns on the order aggregate: given → when → then on decide."""

import uuid

import pytest

from orders.domain import (
    Cancel,
    CapturePayment,
    CompleteRefund,
    FailPayment,
    FailRefund,
    InvalidLineQuantity,
    InvalidRefundAmount,
    LineQuantity,
    MarkShipped,
    NothingToRefund,
    OrderAlreadyPaid,
    OrderCancelled,
    OrderCancelledError,
    OrderShipped,
    PaymentAmountMismatch,
    PaymentFailed,
    PaymentInProgress,
    PaymentNotAuthorized,
    PaymentRefunded,
    ReceiveReturn,
    RefundExceedsCaptured,
    RefundFailed,
    RefundRequested,
    RequestRefund,
    ReturnBeforeShipping,
    ReturnReceived,
    Status,
    UnknownRefund,
    decide,
)
from tests.unit.test_order_domain import (
    AUTHORIZED,
    CAPTURE,
    CAPTURED,
    MUG,
    NOW,
    PAID,
    PAID_ORDER,
    PAY,
    PLACED,
    TEA,
    authorize,
    eur,
    fold,
)

OTHER = uuid.UUID(int=11)
REFUND = uuid.UUID(int=20)
RETURN = uuid.UUID(int=30)
SHIPPED = OrderShipped(shipped_at=NOW)
CANCELLED = OrderCancelled(cancelled_at=NOW, reason="Not paid within 30 minutes.")


def refund(amount="5.00", refund_id=REFUND, lines=()):
    return RequestRefund(refund_id=refund_id, amount=eur(amount), lines=lines, reason="", at=NOW)


def requested(amount="5.00", refund_id=REFUND, lines=()):
    return RefundRequested(
        refund_id=refund_id, amount=eur(amount), lines=lines, reason="", requested_at=NOW
    )


def refunded(amount="5.00", refund_id=REFUND, lines=()):
    return PaymentRefunded(
        refund_id=refund_id,
        amount=eur(amount),
        lines=lines,
        reason="",
        reference="re_1",
        refunded_at=NOW,
    )


def tea(quantity):
    return (LineQuantity(product_id=TEA.product_id, variant_id=TEA.variant_id, quantity=quantity),)


# --- Paying --------------------------------------------------------------------------------


def test_a_placed_order_waits_for_its_total():
    state = fold(PLACED)
    assert state.status == Status.PLACED and state.total == eur("22.32")
    assert state.refundable == eur("0")


def test_the_authorization_is_recorded_once():
    assert decide(authorize(), fold(PLACED, AUTHORIZED)) == []  # a double click


def test_a_second_payment_while_one_is_authorized_is_refused():
    with pytest.raises(PaymentInProgress):
        decide(authorize(OTHER), fold(PLACED, AUTHORIZED))


def test_the_amount_must_be_the_total():
    with pytest.raises(PaymentAmountMismatch):
        decide(authorize(amount="1.00"), fold(PLACED))


def test_a_capture_makes_the_order_paid_once():
    state = fold(*PAID_ORDER)
    assert state.status == Status.PAID and state.captured == eur("22.32")
    assert state.authorized is None and state.refundable == eur("22.32")
    assert decide(CAPTURE, state) == []


def test_only_the_authorized_payment_is_captured():
    other = CapturePayment(payment_id=OTHER, amount=eur("22.32"), reference="c", at=NOW)
    with pytest.raises(PaymentNotAuthorized):
        decide(other, fold(PLACED, AUTHORIZED))


def test_a_declined_card_is_recorded_and_the_shopper_tries_again():
    fail = FailPayment(payment_id=OTHER, reason="declined", card_last4="0002", at=NOW)
    failed = PaymentFailed(payment_id=OTHER, reason="declined", card_last4="0002", failed_at=NOW)
    assert decide(fail, fold(PLACED)) == [failed]
    assert decide(fail, fold(PLACED, failed)) == []  # the same attempt twice: once
    assert decide(authorize(), fold(PLACED, failed)) == [AUTHORIZED]


def test_a_failed_capture_frees_the_order_for_another_payment():
    failed = PaymentFailed(payment_id=PAY, reason="capture_failed", failed_at=NOW)
    state = fold(PLACED, AUTHORIZED, failed)
    assert state.authorized is None
    assert decide(authorize(OTHER), state)[0].payment_id == OTHER


def test_a_capture_after_the_cancellation_is_recorded_not_paid():
    state = fold(PLACED, AUTHORIZED, CANCELLED)
    assert decide(CAPTURE, state) == [CAPTURED]  # no OrderPaid: the refund follows
    after = fold(PLACED, AUTHORIZED, CANCELLED, CAPTURED)
    assert after.status == Status.CANCELLED and after.refundable == eur("22.32")


def test_a_cancelled_order_takes_no_new_payment():
    with pytest.raises(OrderCancelledError):
        decide(authorize(), fold(PLACED, CANCELLED))


def test_the_sweep_does_not_cancel_a_paid_order():
    with pytest.raises(OrderAlreadyPaid):
        decide(Cancel(at=NOW, unpaid_only=True), fold(*PAID_ORDER))
    assert decide(Cancel(at=NOW, unpaid_only=True), fold(PLACED)) == [
        OrderCancelled(cancelled_at=NOW, reason="")
    ]


# --- Refunds -------------------------------------------------------------------------------


def test_a_refund_is_reserved_then_completed():
    assert decide(refund("5.00"), fold(*PAID_ORDER)) == [requested("5.00")]
    state = fold(*PAID_ORDER, requested("5.00"))
    assert state.refundable == eur("17.32")
    complete = CompleteRefund(refund_id=REFUND, reference="re_1", at=NOW)
    assert decide(complete, state) == [refunded("5.00")]
    done = fold(*PAID_ORDER, requested("5.00"), refunded("5.00"))
    assert done.refunded == eur("5.00") and done.refundable == eur("17.32")
    assert decide(complete, done) == []  # the provider's answer twice: once
    assert decide(refund("5.00"), done) == []  # the same form twice: once


def test_a_refund_never_exceeds_what_is_left():
    with pytest.raises(RefundExceedsCaptured, match=r"At most 22\.32 EUR is left"):
        decide(refund("22.33"), fold(*PAID_ORDER))
    # A refund under way counts: the second cannot take what the first reserved.
    state = fold(*PAID_ORDER, requested("20.00"))
    with pytest.raises(RefundExceedsCaptured, match=r"At most 2\.32 EUR"):
        decide(refund("3.00", refund_id=OTHER), state)
    assert decide(refund("2.32", refund_id=OTHER), state)[0].amount == eur("2.32")


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001"])
def test_bad_amounts_are_refused(amount):
    with pytest.raises(InvalidRefundAmount):
        decide(refund(amount), fold(*PAID_ORDER))


def test_nothing_to_refund_before_a_capture():
    with pytest.raises(NothingToRefund):
        decide(refund("1.00"), fold(PLACED))


def test_a_failed_refund_gives_its_amount_back():
    state = fold(*PAID_ORDER, requested("22.32"))
    fail = FailRefund(refund_id=REFUND, reason="refund_failed", at=NOW)
    failed = RefundFailed(
        refund_id=REFUND, amount=eur("22.32"), reason="refund_failed", failed_at=NOW
    )
    assert decide(fail, state) == [failed]
    assert fold(*PAID_ORDER, requested("22.32"), failed).refundable == eur("22.32")


def test_completing_an_unknown_refund_is_refused():
    with pytest.raises(UnknownRefund):
        decide(CompleteRefund(refund_id=OTHER, reference="x", at=NOW), fold(*PAID_ORDER))


def test_refunds_by_line_count_units():
    state = fold(*PAID_ORDER, requested("6.40", lines=tea(1)), refunded("6.40", lines=tea(1)))
    assert state.refundable_units(TEA.variant_id) == 1
    assert state.refundable_units(MUG.variant_id) == 1
    with pytest.raises(InvalidLineQuantity, match="At most 1"):
        decide(refund("6.40", refund_id=OTHER, lines=tea(2)), state)
    stranger = (
        LineQuantity(product_id=uuid.UUID(int=99), variant_id=uuid.UUID(int=99), quantity=1),
    )
    with pytest.raises(InvalidLineQuantity, match="not a line"):
        decide(refund("1.00", refund_id=OTHER, lines=stranger), state)


def test_a_cancelled_order_with_money_is_refunded():
    state = fold(PLACED, AUTHORIZED, CANCELLED, CAPTURED)
    assert decide(refund("22.32"), state) == [requested("22.32")]


# --- Returns -------------------------------------------------------------------------------


def test_returns_only_after_shipping_and_at_most_what_was_sent():
    receive = ReceiveReturn(return_id=RETURN, lines=tea(2), at=NOW)
    with pytest.raises(ReturnBeforeShipping):
        decide(receive, fold(*PAID_ORDER))
    shipped = fold(*PAID_ORDER, SHIPPED)
    received = ReturnReceived(return_id=RETURN, lines=tea(2), received_at=NOW)
    assert decide(receive, shipped) == [received]
    after = fold(*PAID_ORDER, SHIPPED, received)
    assert decide(receive, after) == []  # the same form twice
    with pytest.raises(InvalidLineQuantity, match="At most 0"):
        decide(ReceiveReturn(return_id=OTHER, lines=tea(1), at=NOW), after)
    with pytest.raises(InvalidLineQuantity):
        decide(ReceiveReturn(return_id=OTHER, lines=tea(0), at=NOW), shipped)


def test_shipping_needs_the_payment():
    from orders.domain import OrderNotPaid

    with pytest.raises(OrderNotPaid):
        decide(MarkShipped(at=NOW), fold(PLACED, AUTHORIZED))
    assert decide(MarkShipped(at=NOW), fold(PLACED, AUTHORIZED, CAPTURED, PAID)) == [SHIPPED]


def test_paid_event_follows_capture():
    assert decide(CAPTURE, fold(PLACED, AUTHORIZED))[1] == PAID
