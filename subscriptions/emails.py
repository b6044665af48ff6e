"""Emails as subscribers: the order's emails are written down by a subscriber, then sent.

The ``order-emails`` subscriber turns ``OrderPaid`` (the confirmation, sent once the
payment is captured: an order placed and never paid is cancelled after 30 minutes and gets
no confirmation) and ``OrderShipped`` into ``Email`` rows, in the transaction that moves
its checkpoint, keyed by what they are (``order-confirmation:<order id>``): each event
gives exactly one row, however often a worker crashes. ``send_due`` then sends the rows
that are due, one at a time, each under its row's lock (``SKIP LOCKED``: two workers never
take the same one), and marks it sent in the same transaction. A failure is retried after
5 s, a minute, 5 and 30 minutes, 2 and 8 hours, then parked for staff; one failing address
never holds the others up.

What "never twice" rests on: the row says sent once the SMTP server took the message. A
process that dies in the moment between the server's answer and the commit of that row
would send it again on the next try, with the same ``Message-ID``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from shop.eventstore import RecordedEvent
from shop.personal import Erasure
from shop.registry import ERASED
from subscriptions import core
from subscriptions.models import Email

log = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)

ORDER_EMAILS = {
    # The confirmation goes out when the order is paid (its payment captured), not when it
    # is placed: a placed order waits for its payment and may be cancelled unpaid.
    "OrderPaid": ("order-confirmation", "Your Bean & Leaf order {number}"),
    "OrderShipped": ("shipping-notice", "Your Bean & Leaf order {number} is on its way"),
}


def enqueue(*, key: str, kind: str, to: str, subject: str, body: str) -> None:
    """Write an email to send, unless one with this key exists already."""
    now = timezone.now()
    Email.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "to": to,
            "subject": subject,
            "body": body,
            "created_at": now,
            "next_attempt_at": now,
        },
    )


def order_email(recorded: RecordedEvent) -> None:
    """The ``order-emails`` subscriber: one email per order event it follows."""
    from orders.models import OrderSummary

    kind, subject = ORDER_EMAILS[recorded.event_type]
    order = OrderSummary.objects.filter(order_id=recorded.stream_id).first()
    if order is None or not order.email or order.email == ERASED:
        return
    context = {"order": order, "lines": list(order.lines.all())}
    enqueue(
        key=f"{kind}:{order.order_id}",
        kind=kind,
        to=order.email,
        subject=subject.format(number=order.number),
        body=render_to_string(f"subscriptions/{kind}.txt", context),
    )


def erase_personal(erasure: Erasure) -> None:
    """An erasure's part here: the emails to its addresses and about its orders and carts,
    sent or not (their bodies hold names and addresses)."""
    about = Q(pk__in=[])
    for stream_id in erasure.streams:
        about |= Q(key__endswith=f":{stream_id}")
    Email.objects.filter(about | Q(to__in=erasure.emails)).delete()


def register_subscribers() -> None:
    core.register(
        core.Subscriber(
            name="order-emails", handle=order_email, event_types=frozenset(ORDER_EMAILS)
        )
    )


def send_due(*, limit: int = 50, now: datetime | None = None) -> int:
    """Send up to ``limit`` due emails; return how many were tried."""
    now = now or timezone.now()
    tried = 0
    while tried < limit:
        with transaction.atomic():
            email = (
                Email.objects.select_for_update(skip_locked=True)
                .filter(
                    sent_at__isnull=True,
                    parked_at__isnull=True,
                    next_attempt_at__lte=now,
                )
                .order_by("next_attempt_at")
                .first()
            )
            if email is None:
                return tried
            tried += 1
            if not _still_wanted(email):
                email.delete()  # never sent, and no longer wanted: nothing to retry
                continue
            _send(email, now)
    return tried


def _still_wanted(email: Email) -> bool:
    """A reminder can wait in the queue (retries run for hours): it goes out only while it
    still applies. Order emails always do."""
    from subscriptions import reminders

    return email.kind != reminders.KIND or reminders.still_wanted(email)


def _send(email: Email, now: datetime) -> None:
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        to=[email.to],
        headers={"Message-ID": email.message_id},
    )
    email.attempts += 1
    try:
        message.send()
    except Exception as error:
        log.warning("email %s failed (attempt %s): %s", email.key, email.attempts, error)
        email.last_error = core._describe(error)
        if email.attempts > len(RETRY_DELAYS):
            email.parked_at = now
        else:
            email.next_attempt_at = now + RETRY_DELAYS[email.attempts - 1]
    else:
        email.sent_at = now
    email.save()


def retry_email(email: Email) -> None:
    """Staff asked for a parked email to be tried again now, with a fresh set of retries."""
    Email.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        parked_at=None, attempts=0, next_attempt_at=timezone.now()
    )
