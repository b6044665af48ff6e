"""What staff see of the subscriptions: position, lag, errors, parked items, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from shop.models import Event
from subscriptions import core, locks
from subscriptions.models import Checkpoint, Email, OutboxMessage, ParkedEvent

LAG_COUNT_CAP = 100_000  # counting further would scan the log for a page view


@dataclass(frozen=True, slots=True)
class SubscriberStatus:
    name: str
    position: int
    head: int
    events_behind: int
    events_behind_capped: bool
    seconds_behind: float
    updated_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    parked: int
    running: bool | None  # None: cannot tell (SQLite)


def _running_jobs() -> set[str] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid::int FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
            "AND objsubid = 2 AND granted",
            [locks.NAMESPACE],
        )
        held = {objid for (objid,) in cursor.fetchall()}
        names = [f"subscriber:{s.name}" for s in core.subscribers()] + ["mailer", "relay"]
        names += ["cart-reminders", "unpaid-orders"]
        cursor.execute("SELECT name, hashtext(name) FROM unnest(%s::text[]) AS name", [names])
        return {name for name, key in cursor.fetchall() if key in held}


def subscribers() -> list[SubscriberStatus]:
    head = Event.objects.aggregate(head=Max("position"))["head"] or 0
    checkpoints = {c.name: c for c in Checkpoint.objects.all()}
    running = _running_jobs()
    now = timezone.now()
    rows = []
    for subscriber in core.subscribers():
        checkpoint = checkpoints.get(subscriber.name) or Checkpoint(name=subscriber.name)
        behind = Event.objects.filter(position__gt=checkpoint.position)
        count = behind[: LAG_COUNT_CAP + 1].count()
        oldest = behind.aggregate(at=Min("recorded_at"))["at"] if count else None
        rows.append(
            SubscriberStatus(
                name=subscriber.name,
                position=checkpoint.position,
                head=head,
                events_behind=min(count, LAG_COUNT_CAP),
                events_behind_capped=count > LAG_COUNT_CAP,
                seconds_behind=(now - oldest).total_seconds() if oldest else 0.0,
                updated_at=checkpoint.updated_at,
                last_error=checkpoint.last_error,
                last_error_at=checkpoint.last_error_at,
                parked=ParkedEvent.objects.filter(subscriber=subscriber.name).count(),
                running=None if running is None else f"subscriber:{subscriber.name}" in running,
            )
        )
    return rows


def page() -> dict:
    unpublished = OutboxMessage.objects.filter(published_at__isnull=True)
    due = Email.objects.filter(sent_at__isnull=True, parked_at__isnull=True)
    return {
        "subscribers": subscribers(),
        "parked_events": list(ParkedEvent.objects.order_by("parked_at")[:200]),
        "parked_emails": list(Email.objects.filter(parked_at__isnull=False)[:200]),
        "emails_waiting": due.count(),
        "emails_failing": due.filter(attempts__gt=0).count(),
        "outbox_waiting": unpublished.count(),
        "outbox_oldest": unpublished.aggregate(at=Min("created_at"))["at"],
        "stale_after": timedelta(minutes=1),
    }
