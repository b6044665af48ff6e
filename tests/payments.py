"""Paying orders in tests: through the payment service and the test gateway, as the shopper's
payment page does."""

import uuid

from payments.providers import Card
from payments.services import payment_pay
from tests.factories import SYSTEM

GOOD = "4242424242424242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
BAD_CVC = "4000000000000127"


def card(number=GOOD):
    return Card(number=number, exp_month=12, exp_year=2040, security_code="123")


def pay(order_id, number=GOOD, *, payment_id=None, context=SYSTEM):
    """Pay the order with the test card ``number``; the outcome (paid, or why not)."""
    return payment_pay(
        order_id=order_id,
        payment_id=payment_id or uuid.uuid4(),
        card=card(number),
        context=context,
    )
