"""The one interface a payment provider implements, and the provider the shop uses.

Three calls, each with an idempotency key: the same key again returns the first call's
answer and moves no money twice (every real provider's API works so; Stripe's
``Idempotency-Key`` header, Adyen's ``Idempotency-Key``). The shop derives its keys from
its own ids (``<payment id>:authorize``, ``<payment id>:capture``, ``<refund id>:refund``),
so a double click, a retry after a lost answer, or the sweep resuming a payment a crash
interrupted all reach the provider with the same key.

``SHOP_PAYMENT_PROVIDER`` names the provider: ``test`` (``payments.testgateway``, the
default, for development and the demo) or the dotted path of a class.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from shop.money import Money

PROVIDERS = {"test": "payments.testgateway.TestGateway"}


@dataclass(frozen=True, slots=True)
class Card:
    """What the shopper typed; it lives only as long as the request that carries it."""

    number: str  # digits only
    exp_month: int
    exp_year: int  # four digits
    security_code: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never the number in a log or a traceback
        return f"Card(ending {self.last4})"


@dataclass(frozen=True, slots=True)
class Result:
    """A provider's answer: ``approved`` with its ``reference`` (the provider's id of the
    authorization, capture or refund), or a ``decline`` code (``declined``,
    ``insufficient_funds``, ``incorrect_cvc``, ``capture_failed``, ``refund_failed``)."""

    approved: bool
    reference: str = ""
    decline: str = ""


class PaymentProvider(Protocol):
    def authorize(self, *, amount: Money, card: Card, idempotency_key: str) -> Result:
        """Hold ``amount`` on the card; nothing is charged until it is captured."""
        ...

    def capture(self, *, authorization: str, amount: Money, idempotency_key: str) -> Result:
        """Take the money an authorization holds."""
        ...

    def refund(self, *, capture: str, amount: Money, idempotency_key: str) -> Result:
        """Give back ``amount`` (at most what the capture took, less earlier refunds)."""
        ...


@cache
def _provider_class(name: str) -> type:
    return import_string(PROVIDERS.get(name, name))


def provider() -> PaymentProvider:
    return _provider_class(settings.SHOP_PAYMENT_PROVIDER)()
