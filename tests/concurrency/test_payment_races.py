"""Payments and refunds racing on PostgreSQL: real threads, one connection each.

Two payments of one order at once capture once (whether they carry one payment id, a
double click, or two, two tabs); refunds racing each other never give back more than was
captured, at the shop and at the provider.
"""

import uuid
from decimal import Decimal

import pytest

from catalog.services import shop_money
from orders import domain
from orders.models import OrderSummary
from orders.services import ORDER, order_checkout
from payments.models import GatewayOperation, Payment
from payments.services import payment_refund
from shop.models import Event
from shop.unitofwork import load_state
from tests.concurrency.test_checkout_races import ADDRESS, cart_with, race, split
from tests.factories import SYSTEM, ProductFactory
from tests.payments import pay

pytestmark = pytest.mark.django_db(transaction=True)


def placed_order(price="20.00"):
    product = ProductFactory(name=f"Race {uuid.uuid4().hex[:6]}", price=Decimal(price), stock=5)
    return order_checkout(
        cart_id=cart_with((product, 1)),
        command_id=uuid.uuid4(),
        customer=domain.Customer(email="racer@example.com"),
        address=ADDRESS,
        context=SYSTEM,
    ).order_id


def captured_events(order_id):
    return Event.objects.filter(stream_id=order_id, event_type="PaymentCaptured").count()


def test_a_double_click_at_once_captures_once():
    order_id = placed_order()
    payment_id = uuid.uuid4()
    outcomes, errors = split(race([lambda: pay(order_id, payment_id=payment_id)] * 2))
    assert errors == []
    assert all(outcome.paid for outcome in outcomes)
    assert GatewayOperation.objects.filter(kind="capture", approved=True).count() == 1
    assert captured_events(order_id) == 1
    assert OrderSummary.objects.get(order_id=order_id).status == "paid"


def test_two_tabs_paying_at_once_capture_once():
    for _ in range(3):  # a few rounds: the interleavings differ
        order_id = placed_order()
        outcomes, errors = split(race([lambda order_id=order_id: pay(order_id)] * 4))
        assert [outcome.paid for outcome in outcomes] == [True]
        # The others were told a payment is under way, or that the order is paid.
        assert all(
            isinstance(error, domain.PaymentInProgress | domain.OrderAlreadyPaid)
            for error in errors
        ), errors
        assert captured_events(order_id) == 1
        captures = GatewayOperation.objects.filter(kind="capture", approved=True)
        assert (
            captures.filter(
                parent__in=Payment.objects.filter(order_id=order_id).values("authorization")
            ).count()
            == 1
        )
        assert Payment.objects.filter(order_id=order_id, status="captured").count() == 1
        summary = OrderSummary.objects.get(order_id=order_id)
        assert summary.status == "paid" and summary.captured == summary.total


def test_refunds_racing_never_exceed_the_capture():
    order_id = placed_order("20.00")
    assert pay(order_id).paid
    captured = OrderSummary.objects.get(order_id=order_id).captured  # goods and shipping
    fit = int(captured // 7)  # refunds of 7.00 that fit in it

    def refund(amount):
        return lambda: payment_refund(
            order_id=order_id,
            refund_id=uuid.uuid4(),
            amount=shop_money(amount),
            context=SYSTEM,
        )

    # 6 refunds of 7.00 race for what was captured (20.00 and the shipping): `fit` of them fit.
    outcomes, errors = split(race([refund("7.00") for _ in range(6)]))
    assert all(isinstance(error, domain.RefundExceedsCaptured) for error in errors), errors
    assert len(outcomes) == fit and all(outcome.refunded for outcome in outcomes)
    summary = OrderSummary.objects.get(order_id=order_id)
    assert summary.refunded == 7 * fit and summary.refund_pending == 0
    given = GatewayOperation.objects.filter(kind="refund", approved=True)
    assert sum(op.amount for op in given) == 7 * fit
    assert load_state(ORDER, order_id).state.refundable == shop_money(str(captured - 7 * fit))

    # The rest, raced by a whole refund and small ones: still never more than was captured.
    split(race([refund("6.00"), refund("1.00"), refund("5.00"), refund("6.00")]))
    summary.refresh_from_db()
    assert summary.refunded <= summary.captured == captured
    assert sum(op.amount for op in given.all()) == summary.refunded
