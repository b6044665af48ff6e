"""The test gateway: a payment provider for development, tests and the demo.

It follows the card numbers every provider's test mode uses:

| card number | answer |
|---|---|
| 4242 4242 4242 4242 | approved |
| 4000 0000 0000 0002 | declined (``declined``) |
| 4000 0000 0000 9995 | declined for insufficient funds (``insufficient_funds``) |
| 4000 0000 0000 0127 | the security code fails (``incorrect_cvc``) |
| any other well-formed number (Luhn-valid, 12 to 19 digits) | approved |

It keeps a ledger (``GatewayOperation``), as a provider does on its side: one row per
idempotency key, so the same key returns the first answer; a capture takes at most its
authorization's amount, once; refunds never exceed the capture. It never stores a card:
neither its number nor its last digits (those are in the shop's ``PaymentAuthorized``).
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from payments.models import GatewayOperation
from payments.providers import Card, Result
from shop.money import Money

DECLINED_CARDS = {
    "4000000000000002": "declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000127": "incorrect_cvc",
}


class IdempotencyKeyReused(Exception):
    """The key was used for a different call (another kind or amount)."""


class TestGateway:
    def authorize(self, *, amount: Money, card: Card, idempotency_key: str) -> Result:
        decline = DECLINED_CARDS.get(card.number, "")
        return self._record(idempotency_key, "authorize", amount, "", lambda: decline)

    def capture(self, *, authorization: str, amount: Money, idempotency_key: str) -> Result:
        def decline() -> str:
            held = GatewayOperation.objects.filter(
                reference=authorization, kind="authorize", approved=True
            ).first()
            if held is None or held.currency != amount.currency or amount.amount > held.amount:
                return "capture_failed"
            taken = GatewayOperation.objects.filter(
                parent=authorization, kind="capture", approved=True
            ).exists()
            return "capture_failed" if taken else ""

        return self._record(idempotency_key, "capture", amount, authorization, decline)

    def refund(self, *, capture: str, amount: Money, idempotency_key: str) -> Result:
        def decline() -> str:
            # The capture's row locked: two refunds of one capture take turns here.
            taken = (
                GatewayOperation.objects.select_for_update()
                .filter(reference=capture, kind="capture", approved=True)
                .first()
            )
            if taken is None or taken.currency != amount.currency:
                return "refund_failed"
            given = (
                GatewayOperation.objects.filter(
                    parent=capture, kind="refund", approved=True
                ).aggregate(total=Sum("amount"))["total"]
                or 0
            )
            return "refund_failed" if given + amount.amount > taken.amount else ""

        return self._record(idempotency_key, "refund", amount, capture, decline)

    def _record(self, key: str, kind: str, amount: Money, parent: str, decline) -> Result:
        """The answer stored under ``key``, or a new one, decided and stored at once."""
        for _ in range(3):
            done = GatewayOperation.objects.filter(key=key).first()
            if done is not None:
                if done.kind != kind or done.amount != amount.amount:
                    raise IdempotencyKeyReused(key)
                return Result(done.approved, done.reference if done.approved else "", done.decline)
            try:
                with transaction.atomic():
                    refused = decline()
                    operation = GatewayOperation.objects.create(
                        key=key,
                        kind=kind,
                        reference=f"test_{kind[:4]}_{uuid.uuid4().hex}",
                        parent=parent,
                        amount=amount.amount,
                        currency=amount.currency,
                        approved=not refused,
                        decline=refused,
                        created_at=timezone.now(),
                    )
            except IntegrityError:
                continue  # the same key (or a second capture) committed meanwhile: read it
            return Result(
                operation.approved, operation.reference if operation.approved else "", refused
            )
        raise IntegrityError(f"the test gateway could not record {key}")
