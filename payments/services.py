"""Payment use cases: pay an order by card, refund it, and the sweep that cancels unpaid
orders and finishes what a crash interrupted.

Paying is three steps with the provider between them, never inside a transaction:

1. ``Payment`` row (the form's payment id, the idempotency key): a double click finds the
   first click's row and walks the same steps with the same keys, so the provider answers
   it with the first answer and no money moves twice; a second payment of the same order
   while one is live is refused by the row's constraint (one live payment per order).
2. The provider authorizes (``<payment id>:authorize``); the order records
   ``PaymentAuthorized`` or ``PaymentFailed``.
3. The provider captures (``<payment id>:capture``); the order records ``PaymentCaptured``
   and ``OrderPaid``. A capture that lands on an order cancelled meanwhile is recorded and
   refunded at once (and the sweep refunds it if that was interrupted).

A refund reserves its amount on the order first (``RefundRequested``: the order's state
says what is left, and its stream's version check makes two refunds at once take turns),
then asks the provider (``<refund id>:refund``) and records ``PaymentRefunded`` or
``RefundFailed``. Every step is idempotent, so ``expire_unpaid_orders`` can resume any
step a crash left half-done.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from orders import domain
from orders.domain import Status
from orders.models import OrderSummary
from orders.services import ORDER, order_cancel
from payments.models import Payment
from payments.providers import Card, PaymentProvider, provider
from shop.aggregates import CommandContext
from shop.money import Money
from shop.unitofwork import Lock, UnitOfWork, load_state, run

log = logging.getLogger(__name__)

# The sweep resumes a capture not recorded this long after its authorization, and gives
# up on an authorization with no answer recorded this long after it started.
RESUME_AFTER = timedelta(minutes=1)
ABANDON_AFTER = timedelta(minutes=5)
SWEEP = CommandContext(actor="system:expire-unpaid-orders")
# Refund ids the shop derives itself (a cancelled order's money), stable across retries.
REFUNDS = uuid.UUID("9f1d3c52-5b1e-4c1e-9a53-2f1b6e0c7a41")


@dataclass(frozen=True, slots=True)
class PayOutcome:
    paid: bool
    decline: str = ""  # why not: a provider's code, or order_cancelled


class PaymentFormReused(domain.OrderError):
    def __init__(self) -> None:
        super().__init__("This payment form belongs to another order. Please reload the page.")


# --- Paying --------------------------------------------------------------------------------


def _check_payable(order: domain.Order) -> None:
    match order.status:
        case Status.NEW:
            raise domain.OrderNotPlaced()
        case Status.CANCELLED:
            raise domain.OrderCancelledError()
        case Status.PAID | Status.SHIPPED:
            raise domain.OrderAlreadyPaid()


def _claim(order_id: UUID, payment_id: UUID, amount: Money) -> Payment:
    """The payment's row: new, or the one an earlier click of the same form wrote."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return Payment.objects.create(
                payment_id=payment_id,
                order_id=order_id,
                amount=amount.amount,
                currency=amount.currency,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        existing = Payment.objects.filter(payment_id=payment_id).first()
        if existing is None:  # another payment of this order is live
            if Payment.objects.filter(order_id=order_id, status=Payment.Status.CAPTURED).exists():
                raise domain.OrderAlreadyPaid() from None
            raise domain.PaymentInProgress() from None
        if existing.order_id != order_id:
            raise PaymentFormReused() from None
        return existing


# Each status a payment may move to, from the ones before it (never backwards).
_FROM = {
    Payment.Status.AUTHORIZED: (Payment.Status.STARTED,),
    Payment.Status.CAPTURED: (Payment.Status.STARTED, Payment.Status.AUTHORIZED),
    Payment.Status.FAILED: (Payment.Status.STARTED, Payment.Status.AUTHORIZED),
}


def _record(
    payment: Payment, command: Any, context: CommandContext, status: str, **fields: Any
) -> domain.Order:
    """Decide ``command`` on the payment's order and move the payment's row on, at once."""

    def work(uow: UnitOfWork) -> domain.Order:
        order = uow.load(ORDER, payment.order_id)
        uow.decide(order, command)
        Payment.objects.filter(pk=payment.pk, status__in=_FROM[status]).update(
            status=status, updated_at=timezone.now(), **fields
        )
        return order.state

    state = run(work, context=context, lock=Lock.ALWAYS)
    payment.status = status
    for name, value in fields.items():
        setattr(payment, name, value)
    return state


def _fail(payment: Payment, reason: str, context: CommandContext, last4: str = "") -> PayOutcome:
    command = domain.FailPayment(
        payment_id=payment.payment_id, reason=reason, card_last4=last4, at=timezone.now()
    )
    _record(payment, command, context, Payment.Status.FAILED, reason=reason)
    return PayOutcome(paid=False, decline=reason)


def payment_pay(
    *,
    order_id: UUID,
    payment_id: UUID,
    card: Card,
    context: CommandContext,
    gateway: PaymentProvider | None = None,
) -> PayOutcome:
    """Pay the order with ``card``: authorize, then capture, each step recorded.

    Returns whether the order is paid, or why not (a declined card: the shopper may try
    again with a new payment id). Raises ``OrderError`` when the order cannot be paid (not
    placed, cancelled, paid already, a payment under way).
    """
    gateway = gateway or provider()
    order = load_state(ORDER, order_id).state
    if payment_id in order.captured_payments:
        return PayOutcome(paid=True)
    _check_payable(order)
    assert order.total is not None
    payment = _claim(order_id, payment_id, order.total)
    if payment.status == Payment.Status.CAPTURED:
        return PayOutcome(paid=True)
    if payment.status == Payment.Status.FAILED:
        return PayOutcome(paid=False, decline=payment.reason)
    if payment.status == Payment.Status.STARTED:
        answer = gateway.authorize(
            amount=payment.money, card=card, idempotency_key=f"{payment_id}:authorize"
        )
        if not answer.approved:
            return _fail(payment, answer.decline, context, card.last4)
        authorize = domain.AuthorizePayment(
            payment_id=payment_id,
            amount=payment.money,
            card_last4=card.last4,
            reference=answer.reference,
            at=timezone.now(),
        )
        try:
            _record(
                payment,
                authorize,
                context,
                Payment.Status.AUTHORIZED,
                authorization=answer.reference,
            )
        except domain.OrderCancelledError:  # cancelled meanwhile: nothing is captured
            return _fail(payment, "order_cancelled", context, card.last4)
    return _capture(payment, context, gateway)


def _capture(payment: Payment, context: CommandContext, gateway: PaymentProvider) -> PayOutcome:
    if load_state(ORDER, payment.order_id).state.status == Status.CANCELLED:
        return _fail(payment, "order_cancelled", context)  # the authorization lapses
    answer = gateway.capture(
        authorization=payment.authorization,
        amount=payment.money,
        idempotency_key=f"{payment.payment_id}:capture",
    )
    if not answer.approved:
        return _fail(payment, answer.decline or "capture_failed", context)
    capture = domain.CapturePayment(
        payment_id=payment.payment_id,
        amount=payment.money,
        reference=answer.reference,
        at=timezone.now(),
    )
    state = _record(payment, capture, context, Payment.Status.CAPTURED)
    if state.status == Status.CANCELLED:  # the money arrived after the cancellation
        payment_settle_cancelled(order_id=payment.order_id, context=context, gateway=gateway)
        return PayOutcome(paid=False, decline="order_cancelled")
    return PayOutcome(paid=True)


# --- Refunds -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    refunded: bool
    state: domain.Order
    decline: str = ""


def _decide(order_id: UUID, command: Any, context: CommandContext) -> domain.Order:
    def work(uow: UnitOfWork) -> domain.Order:
        order = uow.load(ORDER, order_id)
        uow.decide(order, command)
        return order.state

    return run(work, context=context, lock=Lock.ALWAYS)


def payment_refund(
    *,
    order_id: UUID,
    refund_id: UUID,
    amount: Money,
    lines: tuple[domain.LineQuantity, ...] = (),
    reason: str = "",
    context: CommandContext,
    gateway: PaymentProvider | None = None,
) -> RefundOutcome:
    """Refund ``amount`` of the order (``lines``: the units it covers). The amount is
    reserved first, so it never exceeds what is left; raises ``OrderError`` if it would
    (``RefundExceedsCaptured``), or for bad lines. The same ``refund_id`` refunds once."""
    request = domain.RequestRefund(
        refund_id=refund_id, amount=amount, lines=lines, reason=reason, at=timezone.now()
    )
    _decide(order_id, request, context)
    return _complete_refund(order_id, refund_id, context, gateway or provider())


def _complete_refund(
    order_id: UUID, refund_id: UUID, context: CommandContext, gateway: PaymentProvider
) -> RefundOutcome:
    state = load_state(ORDER, order_id).state
    pending = next((p for p in state.pending_refunds if p.refund_id == refund_id), None)
    if pending is None:  # settled already (a double submit, or the sweep got there first)
        return RefundOutcome(refunded=refund_id in state.settled_refunds, state=state)
    answer = gateway.refund(
        capture=state.capture_reference,
        amount=pending.amount,
        idempotency_key=f"{refund_id}:refund",
    )
    now = timezone.now()
    if answer.approved:
        command: Any = domain.CompleteRefund(
            refund_id=refund_id, reference=answer.reference, at=now
        )
    else:
        command = domain.FailRefund(refund_id=refund_id, reason=answer.decline, at=now)
    state = _decide(order_id, command, context)
    return RefundOutcome(refunded=answer.approved, state=state, decline=answer.decline)


def payment_settle_cancelled(
    *, order_id: UUID, context: CommandContext, gateway: PaymentProvider | None = None
) -> Money | None:
    """A cancelled order keeps no money: refund what is left of its captures. Returns the
    amount refunded now, if any."""
    gateway = gateway or provider()
    state = load_state(ORDER, order_id).state
    if state.status != Status.CANCELLED:
        return None
    for pending in state.pending_refunds:  # under way, or interrupted: finish them
        _complete_refund(order_id, pending.refund_id, context, gateway)
        state = load_state(ORDER, order_id).state
    left = state.refundable
    if left.amount <= 0:
        return None
    assert state.captured is not None
    # Derived from what was captured and refunded, so two settlers pick the same id.
    refund_id = uuid.uuid5(
        REFUNDS, f"{order_id}:{state.captured.amount}:{state.refunded and state.refunded.amount}"
    )
    try:
        payment_refund(
            order_id=order_id,
            refund_id=refund_id,
            amount=left,
            reason="The order was cancelled.",
            context=context,
            gateway=gateway,
        )
    except domain.RefundExceedsCaptured:
        return None  # someone else refunded it meanwhile
    return left


def order_cancel_and_refund(*, order_id: UUID, reason: str = "", context: CommandContext) -> None:
    """Staff cancel an order: its stock and coupon go back, and so does its money."""
    order_cancel(order_id=order_id, reason=reason, context=context)
    payment_settle_cancelled(order_id=order_id, context=context)


def line_refund_amount(order: OrderSummary, units: dict[UUID, int]) -> Money:
    """What ``units`` of the order's lines cost the shopper: their prices with the order's
    discount spread over them in proportion, rounded once (shipping is not included)."""
    gross = sum(
        (line.unit_price * units.get(line.variant_id, 0) for line in order.lines.all()),
        Decimal(0),
    )
    if not order.subtotal:
        return order.money(Decimal(0))
    share = (order.subtotal - order.discount) / order.subtotal
    return order.money(gross * share).rounded()


# --- The sweep -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sweep:
    cancelled: int = 0
    resumed: int = 0
    abandoned: int = 0
    refunded: int = 0


def unpaid_timeout() -> timedelta:
    return settings.SHOP_UNPAID_ORDER_TIMEOUT


def unpaid_reason() -> str:
    minutes = int(unpaid_timeout().total_seconds() // 60)
    return f"Not paid within {minutes} minutes."


def expire_unpaid_orders(
    *, now: datetime | None = None, gateway: PaymentProvider | None = None
) -> Sweep:
    """Cancel the orders unpaid for ``SHOP_UNPAID_ORDER_TIMEOUT`` (their stock and coupon
    go back), and finish what crashes left half-done: captures of recorded authorizations,
    authorizations nobody recorded an answer for, refunds requested and not confirmed, and
    money still held by cancelled orders. Each step is idempotent; run it every minute."""
    now = now or timezone.now()
    gateway = gateway or provider()
    resumed = abandoned = cancelled = refunded = 0
    for payment in Payment.objects.filter(
        status=Payment.Status.AUTHORIZED, updated_at__lt=now - RESUME_AFTER
    ):
        if _attempt(_capture, payment, SWEEP, gateway) is not None:
            resumed += 1
    for payment in Payment.objects.filter(
        status=Payment.Status.STARTED, updated_at__lt=now - ABANDON_AFTER
    ):
        if _attempt(_fail, payment, "abandoned", SWEEP) is not None:
            abandoned += 1
    unpaid = OrderSummary.objects.filter(
        status=OrderSummary.Status.PLACED,
        placed_at__lt=now - unpaid_timeout(),
    ).values_list("order_id", flat=True)
    for order_id in unpaid:
        try:
            order_cancel(order_id=order_id, reason=unpaid_reason(), unpaid_only=True, context=SWEEP)
        except domain.OrderError:
            continue  # paid or cancelled meanwhile
        cancelled += 1
    money_held = OrderSummary.objects.filter(refund_pending__gt=0) | OrderSummary.objects.filter(
        status=OrderSummary.Status.CANCELLED,
        captured__gt=F("refunded") + F("refund_pending"),
    )
    for order_id in money_held.values_list("order_id", flat=True).distinct():
        state = load_state(ORDER, order_id).state
        for pending in state.pending_refunds:
            outcome = _attempt(_complete_refund, order_id, pending.refund_id, SWEEP, gateway)
            refunded += bool(outcome and outcome.refunded)
        settled = _attempt(
            payment_settle_cancelled, order_id=order_id, context=SWEEP, gateway=gateway
        )
        refunded += settled is not None
    return Sweep(cancelled=cancelled, resumed=resumed, abandoned=abandoned, refunded=refunded)


def _attempt(step, *args: Any, **kwargs: Any) -> Any:
    """One step of the sweep; a failure is logged and left for the next run (``None``)."""
    try:
        return step(*args, **kwargs)
    except Exception:
        log.exception("expire_unpaid_orders: %s failed; the next run tries again", step.__name__)
        return None
