"""What order events do to OrderSummary (the order stream's row) and its lines.

``shop.projections`` applies it live and in batch and keeps the summary at the stream's
version: an event seen again changes nothing.
"""

from orders.domain import OrderCancelled, OrderClaimed, OrderPaid, OrderPlaced, OrderShipped
from orders.models import OrderLine, OrderSummary, OrderVat
from shop.eventstore import RecordedEvent
from shop.projections import Change, StreamRow, Upsert

STATUS_AFTER = {
    OrderPaid: OrderSummary.Status.PAID,
    OrderShipped: OrderSummary.Status.SHIPPED,
    OrderCancelled: OrderSummary.Status.CANCELLED,
}


def order_rows(event, recorded: RecordedEvent) -> tuple[Change, ...]:
    match event:
        case OrderPlaced(customer=customer, address=address, shipping=shipping):
            placed = {
                "status": OrderSummary.Status.PLACED,
                "customer_id": customer.user_id,
                "placed_by": customer.actor,
                "email": customer.email,
                "full_name": address.full_name,
                "address": address.address,
                "city": address.city,
                "postal_code": address.postal_code,
                "country": address.country,
                "cart_id": event.cart_id,
                "coupon_code": event.coupon_code or "",
                "subtotal": event.subtotal.amount,
                "discount": event.discount.amount,
                "shipping_method": shipping.method if shipping else "",
                "shipping_price": shipping.price.amount if shipping else None,
                "shipping_estimate": shipping.estimate if shipping else "",
                "total": event.total.amount,
                "currency": event.currency,
                "item_count": sum(line.quantity for line in event.lines),
                "placed_at": event.placed_at,
            }
            return (
                StreamRow(set=placed),
                *(
                    Upsert(
                        OrderLine,
                        {"order_id": recorded.stream_id, "variant_id": line.variant_id},
                        {
                            "product_id": line.product_id,
                            "sku": line.sku,
                            "variant_label": line.variant_label,
                            "weight_grams": line.weight_grams,
                            "name": line.name,
                            "quantity": line.quantity,
                            "unit_price": line.unit_price.amount,
                            "currency": line.unit_price.currency,
                            "vat_rate": line.vat_rate,
                        },
                    )
                    for line in event.lines
                ),
                *(
                    Upsert(
                        OrderVat,
                        {"order_id": recorded.stream_id, "rate": vat.rate},
                        {
                            "gross": vat.gross.amount,
                            "vat": vat.vat.amount,
                            "currency": event.currency,
                        },
                    )
                    for vat in event.vat
                ),
            )
        case OrderPaid() | OrderShipped() | OrderCancelled():
            return (StreamRow(set={"status": STATUS_AFTER[type(event)]}),)
        case OrderClaimed(user_id=user_id):
            return (StreamRow(set={"customer_id": user_id}),)
    return ()
