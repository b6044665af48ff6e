"""OrderSummary and its lines, kept in step with the order streams."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from orders.domain import OrderCancelled, OrderClaimed, OrderPaid, OrderPlaced, OrderShipped
from orders.models import OrderLine, OrderSummary
from shop.eventstore import RecordedEvent, events_appended
from shop.projections import write_rows


def _placed(recorded: RecordedEvent, event: OrderPlaced) -> dict:
    """The OrderSummary columns an ``OrderPlaced`` sets, but the order id."""
    return {
        "status": OrderSummary.Status.PLACED,
        "customer_id": event.customer.user_id,
        "placed_by": event.customer.actor,
        "email": event.customer.email,
        "full_name": event.address.full_name,
        "address": event.address.address,
        "city": event.address.city,
        "postal_code": event.address.postal_code,
        "country": event.address.country,
        "cart_id": event.cart_id,
        "coupon_code": event.coupon_code or "",
        "subtotal": event.subtotal.amount,
        "discount": event.discount.amount,
        "total": event.total.amount,
        "currency": event.currency,
        "item_count": sum(line.quantity for line in event.lines),
        "placed_at": event.placed_at,
        "updated_at": recorded.recorded_at,
        "version": recorded.version,
        "last_position": recorded.position,
    }


def _lines(event: OrderPlaced) -> list[dict]:
    """The OrderLine columns of an ``OrderPlaced``, but the order id."""
    return [
        {
            "product_id": line.product_id,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price": line.unit_price.amount,
            "currency": line.unit_price.currency,
        }
        for line in event.lines
    ]


def _project_placed(recorded: RecordedEvent, event: OrderPlaced) -> None:
    summary, created = OrderSummary.objects.get_or_create(
        order_id=recorded.stream_id, defaults=_placed(recorded, event)
    )
    if not created:  # replayed: the row is there already
        return
    OrderLine.objects.bulk_create(OrderLine(order=summary, **line) for line in _lines(event))


STATUS_AFTER = {
    OrderPaid: OrderSummary.Status.PAID,
    OrderShipped: OrderSummary.Status.SHIPPED,
    OrderCancelled: OrderSummary.Status.CANCELLED,
}


def _changes(event: object) -> dict:
    """The OrderSummary columns any event after ``OrderPlaced`` changes."""
    match event:
        case OrderPaid() | OrderShipped() | OrderCancelled():
            return {"status": STATUS_AFTER[type(event)]}
        case OrderClaimed(user_id=user_id):
            return {"customer_id": user_id}
        case _:
            return {}


def project_order(recorded: RecordedEvent) -> None:
    match recorded.event:
        case OrderPlaced() as event:
            _project_placed(recorded, event)
        case event:
            # Applied strictly in stream order: a replayed event changes nothing.
            OrderSummary.objects.filter(
                order_id=recorded.stream_id, version=recorded.version - 1
            ).update(
                **_changes(event),
                version=recorded.version,
                last_position=recorded.position,
                updated_at=recorded.recorded_at,
            )


def project_orders(sender, events: list[RecordedEvent], **kwargs) -> None:
    if sender != "order":
        return
    for recorded in events:
        project_order(recorded)


def connect() -> None:
    events_appended.connect(project_orders, dispatch_uid="orders.project_orders")


# --- Replay: the rows above, folded in memory for a whole log and written in bulk ----------

PLACED_FIELDS = tuple(
    f.attname
    for f in OrderSummary._meta.concrete_fields
    if f.attname not in ("order_id", "status", "version", "last_position", "updated_at")
)
LINE_FIELDS = ("product_id", "name", "quantity", "unit_price", "currency")
CUSTOMER = PLACED_FIELDS.index("customer_id")


@dataclass(slots=True)
class _Order:
    """An order while a rebuild folds it: what ``OrderPlaced`` fixed, and what moves on."""

    placed: tuple  # the values of PLACED_FIELDS
    lines: tuple[tuple, ...]  # the values of LINE_FIELDS, line by line
    status: str
    version: int
    last_position: int
    updated_at: datetime


class OrderReplay:
    """``project_orders`` over a whole log: the same rows, without SQL per event."""

    stream_types = frozenset({"order"})

    def __init__(self) -> None:
        self.orders: dict[UUID, _Order] = {}

    def apply(self, stream_type: str, events: list[RecordedEvent]) -> None:
        for recorded in events:
            match recorded.event:
                case OrderPlaced() as event if recorded.stream_id not in self.orders:
                    row = _placed(recorded, event)
                    self.orders[recorded.stream_id] = _Order(
                        placed=tuple(row[name] for name in PLACED_FIELDS),
                        lines=tuple(
                            tuple(line[name] for name in LINE_FIELDS) for line in _lines(event)
                        ),
                        status=row["status"],
                        version=row["version"],
                        last_position=row["last_position"],
                        updated_at=row["updated_at"],
                    )
                case event:
                    order = self.orders.get(recorded.stream_id)
                    if order is None or order.version != recorded.version - 1:
                        continue
                    changes = _changes(event)
                    if "status" in changes:
                        order.status = changes["status"]
                    if "customer_id" in changes:
                        placed = list(order.placed)
                        placed[CUSTOMER] = changes["customer_id"]
                        order.placed = tuple(placed)
                    order.version = recorded.version
                    order.last_position = recorded.position
                    order.updated_at = recorded.recorded_at

    def write(self) -> None:
        orders = self.orders.items()
        write_rows(
            OrderSummary,
            ("order_id", *PLACED_FIELDS, "status", "version", "last_position", "updated_at"),
            (
                (order_id, *o.placed, str(o.status), o.version, o.last_position, o.updated_at)
                for order_id, o in orders
            ),
        )
        write_rows(
            OrderLine,
            ("order_id", *LINE_FIELDS),
            ((order_id, *line) for order_id, o in orders for line in o.lines),
        )
