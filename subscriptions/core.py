"""Subscribers: code that reacts to the log after the fact, each event exactly once.

A subscriber has a name, the event types it wants and a ``handle(event)`` that writes only
to the database. ``run_batch`` reads the events after the subscriber's checkpoint, up to
the safe high-water mark (``shop.highwater``), in position order, hands the ones it wants
to ``handle`` and moves the checkpoint, all in one transaction: a crash anywhere rolls back
the writes and the checkpoint together, so the next run starts where the last commit ended.
The checkpoint row is locked (``SELECT … FOR UPDATE``) for the batch, so even two workers
that both believed they held the subscriber could not both handle one event.

An event whose handler raises is parked (``ParkedEvent``, with the error) and skipped: a
poison event does not stop the subscriber or the other subscribers. Staff retry it from the
admin (``retry_parked``). A database error is not the event's fault: it rolls the batch
back and the worker tries again.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, OperationalError, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from shop import personal, registry
from shop.eventstore import RecordedEvent
from shop.models import Event
from shop.projections import LOG_FIELDS
from subscriptions.models import Checkpoint, ParkedEvent

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# The database is away or busy: not the event's fault. The batch rolls back and runs again.
TRANSIENT = (OperationalError, InterfaceError)


@dataclass(frozen=True, slots=True)
class Subscriber:
    name: str
    handle: Callable[[RecordedEvent], None]
    event_types: frozenset[str] | None = None  # None: every event


_subscribers: dict[str, Subscriber] = {}


def register(subscriber: Subscriber) -> Subscriber:
    _subscribers[subscriber.name] = subscriber
    return subscriber


def unregister(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers() -> list[Subscriber]:
    return list(_subscribers.values())


def get(name: str) -> Subscriber:
    return _subscribers[name]


# The log's columns as a rebuild reads them (the data as its JSON text: parsed once, by the
# event's own validator), then the metadata, which subscribers get.
COLUMNS = (*LOG_FIELDS, "metadata")


def _log():
    return Event.objects.annotate(payload=Cast("data", models.TextField()))


def _recorded(row: tuple) -> RecordedEvent:
    position, stream_type, stream_id, version, event_type, schema_version, text, at, meta = row
    return RecordedEvent(
        position=position,
        stream_type=stream_type,
        stream_id=stream_id,
        version=version,
        event=registry.from_json(event_type, schema_version, text, stream_id),
        metadata=meta,
        recorded_at=at,
    )


def _describe(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(error)).strip()[:2000]


def run_batch(subscriber: Subscriber, *, up_to: int, size: int = BATCH_SIZE) -> int:
    """Handle the next events after the checkpoint, up to ``up_to``; return the new checkpoint.

    ``up_to`` must be a safe high-water mark. The subscriber has caught up when the result
    is ``up_to`` (or beyond it: another worker's mark was ahead).
    """
    with transaction.atomic():
        checkpoint, _ = Checkpoint.objects.select_for_update().get_or_create(name=subscriber.name)
        start = checkpoint.position
        if start >= up_to:
            return start
        rows = _log().filter(position__gt=start, position__lte=up_to)
        if subscriber.event_types is not None:
            rows = rows.filter(event_type__in=subscriber.event_types)
        rows = list(rows.order_by("position").values_list(*COLUMNS)[:size])
        # A short page means nothing it wants lies between its last row and the mark.
        end = rows[-1][0] if len(rows) == size else up_to
        if rows:
            with personal.reading():  # an erasure waits for the batch, then removes its copies
                personal.prefetch(row[6] for row in rows)
                _handle_all(subscriber, rows)
        else:
            _commit_without_waiting_for_the_disk()
        checkpoint.position = end
        checkpoint.updated_at = timezone.now()
        checkpoint.save(update_fields=["position", "updated_at"])
        return end


def _commit_without_waiting_for_the_disk() -> None:
    """A batch that handled nothing only moves the checkpoint past events it does not want
    (an order-email subscriber while shoppers fill carts): a crash that took that move back
    would have it read the same events again and want none of them. So its commit need not
    wait for the WAL flush (PostgreSQL; the transaction's own setting, nobody else's)."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _handle_all(subscriber: Subscriber, rows: list[tuple]) -> None:
    """Handle the rows in one savepoint; if one fails, again one by one, parking failures."""
    try:
        with transaction.atomic():
            for row in rows:
                subscriber.handle(_recorded(row))
        return
    except TRANSIENT:
        raise
    except Exception:
        pass
    for row in rows:
        try:
            with transaction.atomic():
                subscriber.handle(_recorded(row))
        except TRANSIENT:
            raise
        except Exception as error:
            log.exception("subscriber %s parked event #%s", subscriber.name, row[0])
            ParkedEvent.objects.get_or_create(
                subscriber=subscriber.name,
                position=row[0],
                defaults={
                    "event_type": row[4],
                    "error": _describe(error),
                    "parked_at": timezone.now(),
                },
            )


def retry_parked(parked: ParkedEvent) -> bool:
    """Handle a parked event again; drop it when that works. Returns whether it did."""
    subscriber = get(parked.subscriber)
    row = _log().filter(position=parked.position).values_list(*COLUMNS).get()
    try:
        with transaction.atomic():
            subscriber.handle(_recorded(row))
            ParkedEvent.objects.filter(pk=parked.pk).delete()
    except TRANSIENT:
        raise
    except Exception as error:
        ParkedEvent.objects.filter(pk=parked.pk).update(
            error=_describe(error), parked_at=timezone.now()
        )
        return False
    return True


def record_error(name: str, error: BaseException) -> None:
    """Note a failed run on the subscriber's row (outside the rolled-back batch)."""
    try:
        Checkpoint.objects.update_or_create(
            name=name, defaults={"last_error": _describe(error), "last_error_at": timezone.now()}
        )
    except DatabaseError:
        log.warning("could not record the error of %s", name)


def clear_error(name: str) -> None:
    Checkpoint.objects.filter(name=name).exclude(last_error="").update(
        last_error="", last_error_at=None
    )
