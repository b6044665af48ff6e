"""OrderSummary and its lines, kept in step with the order streams."""

from orders.domain import OrderCancelled, OrderPaid, OrderPlaced, OrderShipped
from orders.models import OrderLine, OrderSummary
from shop.eventstore import RecordedEvent, events_appended


def _project_placed(recorded: RecordedEvent, event: OrderPlaced) -> None:
    summary, created = OrderSummary.objects.get_or_create(
        order_id=recorded.stream_id,
        defaults={
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
        },
    )
    if not created:  # replayed: the row is there already
        return
    OrderLine.objects.bulk_create(
        OrderLine(
            order=summary,
            product_id=line.product_id,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price.amount,
            currency=line.unit_price.currency,
        )
        for line in event.lines
    )


STATUS_AFTER = {
    OrderPaid: OrderSummary.Status.PAID,
    OrderShipped: OrderSummary.Status.SHIPPED,
    OrderCancelled: OrderSummary.Status.CANCELLED,
}


def project_order(recorded: RecordedEvent) -> None:
    match recorded.event:
        case OrderPlaced() as event:
            _project_placed(recorded, event)
        case OrderPaid() | OrderShipped() | OrderCancelled() as event:
            # Applied strictly in stream order: a replayed event changes nothing.
            OrderSummary.objects.filter(
                order_id=recorded.stream_id, version=recorded.version - 1
            ).update(
                status=STATUS_AFTER[type(event)],
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
