"""Integration events: chosen public events, written with the event, relayed to RabbitMQ.

``record_messages`` is an ``events_appended`` receiver: an order placed, paid, shipped,
cancelled, refunded or returned, and every change of a product's stock, becomes an
``OutboxMessage`` row in the transaction that appends the event, so a message exists
exactly when its event committed. The worker's ``relay`` job publishes the rows that are
not yet published, in position order, to a durable topic exchange (``BROKER_EXCHANGE``,
default ``shop.events``) as persistent messages with publisher confirms, and marks them
published only once the broker confirmed them: at least once, never lost. The AMQP
``message_id`` is the event's position, so a consumer drops the duplicates a relay crash
can cause. ``docs/messages.md`` has the schema. A message the broker confirmed more than
``SHOP_OUTBOX_KEEP`` (7 days) ago is deleted by the relay (``prune_published``). With
``BROKER_URL`` unset the rows are still written (the record stays whole for the day a
broker is set) and nothing is relayed.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from shop.eventstore import RecordedEvent, events_appended
from shop.highwater import flush_barrier
from subscriptions.models import OutboxMessage

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


def _money(value) -> str:
    return str(value.amount)


def _order_placed(e) -> dict[str, Any]:
    return {
        "cart_id": e.cart_id,
        "lines": [
            {
                "product_id": line.product_id,
                "variant_id": line.variant_id,
                "sku": line.sku,
                "weight_grams": line.weight_grams,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price),
            }
            for line in e.lines
        ],
        "subtotal": _money(e.subtotal),
        "discount": _money(e.discount),
        "shipping": None
        if e.shipping is None
        else {"method": e.shipping.method, "price": _money(e.shipping.price)},
        "total": _money(e.total),
        "vat": [
            {"rate": str(line.rate), "gross": _money(line.gross), "vat": _money(line.vat)}
            for line in e.vat
        ],
        "currency": e.currency,
        "coupon_code": e.coupon_code,
        "placed_at": e.placed_at,
    }


def _units(lines) -> list[dict[str, Any]]:
    return [
        {"product_id": line.product_id, "variant_id": line.variant_id, "quantity": line.quantity}
        for line in lines
    ]


def _refunded(e) -> dict[str, Any]:
    return {
        "refund_id": e.refund_id,
        "amount": _money(e.amount),
        "currency": e.amount.currency,
        "lines": _units(e.lines),
        "refunded_at": e.refunded_at,
    }


def _stock(cause: str) -> Callable[[Any], dict[str, Any]]:
    def body(e) -> dict[str, Any]:
        quantity = getattr(e, "delta", None)
        if quantity is None:
            quantity = -e.quantity if cause == "reserved" else e.quantity
        return {
            "cause": cause,
            "variant_id": e.variant_id,
            "on_hand": e.on_hand,
            "change": quantity,
            "order_id": getattr(e, "order_id", None),
        }

    return body


# event type → (routing key, the message's data)
PUBLIC: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "OrderPlaced": ("order.placed", _order_placed),
    "OrderPaid": ("order.paid", lambda e: {"paid_at": e.paid_at}),
    "OrderShipped": ("order.shipped", lambda e: {"shipped_at": e.shipped_at}),
    "OrderCancelled": (
        "order.cancelled",
        lambda e: {"cancelled_at": e.cancelled_at, "reason": e.reason},
    ),
    "PaymentRefunded": ("order.refunded", _refunded),
    "ReturnReceived": (
        "order.returned",
        lambda e: {"lines": _units(e.lines), "received_at": e.received_at},
    ),
    "StockAdjusted": ("product.stock_changed", _stock("adjusted")),
    "StockReserved": ("product.stock_changed", _stock("reserved")),
    "StockReleased": ("product.stock_changed", _stock("released")),
}


def message_body(recorded: RecordedEvent, routing_key: str, data: dict[str, Any]) -> dict:
    body = {
        "id": str(recorded.position),
        "type": routing_key,
        "schema_version": SCHEMA_VERSION,
        "event_type": recorded.event_type,
        "stream_id": recorded.stream_id,
        "version": recorded.version,
        "occurred_at": recorded.recorded_at,
        "correlation_id": recorded.metadata.get("correlation_id"),
        "data": data,
    }
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def record_messages(sender, events: list[RecordedEvent], **kwargs) -> None:
    rows = []
    for recorded in events:
        public = PUBLIC.get(recorded.event_type)
        if public is None:
            continue
        routing_key, data = public
        rows.append(
            OutboxMessage(
                event_position=recorded.position,
                routing_key=routing_key,
                body=message_body(recorded, routing_key, data(recorded.event)),
                created_at=recorded.recorded_at or timezone.now(),
            )
        )
    if rows:
        OutboxMessage.objects.bulk_create(rows)


def connect() -> None:
    events_appended.connect(record_messages, dispatch_uid="subscriptions.record_messages")


# --- The relay -----------------------------------------------------------------------------


class Relay:
    """A pika connection with publisher confirms, opened when needed and again after a loss."""

    def __init__(self, url: str, exchange: str) -> None:
        self.url = url
        self.exchange = exchange
        self._connection = None
        self._channel = None

    def channel(self):
        import pika

        if self._channel is None or not self._channel.is_open:
            self.close()
            parameters = pika.URLParameters(self.url)
            parameters.blocked_connection_timeout = 10
            parameters.socket_timeout = 5
            self._connection = pika.BlockingConnection(parameters)
            channel = self._connection.channel()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            channel.confirm_delivery()
            self._channel = channel
        return self._channel

    def publish(self, message: OutboxMessage) -> None:
        """Returns once the broker confirmed the message; raises if it did not."""
        import pika

        self.channel().basic_publish(
            exchange=self.exchange,
            routing_key=message.routing_key,
            body=json.dumps(message.body).encode(),
            properties=pika.BasicProperties(
                message_id=str(message.event_position),
                type=message.routing_key,
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                timestamp=int(message.created_at.timestamp()),
            ),
        )

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(Exception):
                connection.close()


_relay: Relay | None = None


def relay_due(*, limit: int = 500) -> int:
    """Publish the oldest unpublished messages; return how many the broker confirmed."""
    global _relay
    if not settings.BROKER_URL:
        return 0
    messages = list(
        OutboxMessage.objects.filter(published_at__isnull=True).order_by("event_position")[:limit]
    )
    if not messages:
        return 0
    flush_barrier()  # never publish an event a crash could still take back
    if _relay is None or (_relay.url, _relay.exchange) != (
        settings.BROKER_URL,
        settings.BROKER_EXCHANGE,
    ):
        _relay = Relay(settings.BROKER_URL, settings.BROKER_EXCHANGE)
    confirmed = []
    try:
        for message in messages:
            _relay.publish(message)
            confirmed.append(message.event_position)
    except Exception as error:
        _relay.close()
        log.warning("relay: the broker is unavailable (%s)", error)
        if not confirmed:
            raise RelayUnavailable(str(error)) from error
    finally:
        if confirmed:
            OutboxMessage.objects.filter(event_position__in=confirmed).update(
                published_at=timezone.now()
            )
    return len(confirmed)


PRUNE_BATCH = 1_000  # rows per DELETE: short statements, short locks


def prune_published(*, now=None, keep=None) -> int:
    """Delete the messages the broker confirmed more than ``keep`` (``SHOP_OUTBOX_KEEP``)
    ago; return how many. The relay runs it now and then; a message not yet confirmed is
    never deleted, however old. Oldest first, a batch per statement."""
    cutoff = (now or timezone.now()) - (settings.SHOP_OUTBOX_KEEP if keep is None else keep)
    deleted = 0
    while True:
        batch = list(
            OutboxMessage.objects.filter(published_at__lt=cutoff)
            .order_by("event_position")
            .values_list("event_position", flat=True)[:PRUNE_BATCH]
        )
        if not batch:
            return deleted
        deleted += OutboxMessage.objects.filter(event_position__in=batch).delete()[0]


class RelayUnavailable(Exception):
    """The broker could not be reached or did not confirm."""
