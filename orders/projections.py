"""What order events do to OrderSummary (the order stream's row), its lines and its story.

``shop.projections`` applies it live and in batch and keeps the summary at the stream's
version: an event seen again changes nothing.
"""

from orders.domain import (
    LineQuantity,
    OrderCancelled,
    OrderClaimed,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
    RefundFailed,
    RefundRequested,
    ReturnReceived,
)
from orders.models import OrderLine, OrderStep, OrderSummary, OrderVat
from shop.eventstore import RecordedEvent
from shop.projections import Change, StreamRow, Update, Upsert

STATUS_AFTER = {
    OrderPaid: OrderSummary.Status.PAID,
    OrderShipped: OrderSummary.Status.SHIPPED,
    OrderCancelled: OrderSummary.Status.CANCELLED,
}

# Why a payment failed, in the words the order's story uses.
DECLINES = {
    "declined": "the card was declined",
    "insufficient_funds": "the card was declined for insufficient funds",
    "incorrect_cvc": "the security code was incorrect",
    "capture_failed": "the payment could not be completed",
    "abandoned": "the payment was not completed",
    "order_cancelled": "the order had been cancelled",
}


def _step(recorded: RecordedEvent, kind: str, at, **values) -> Upsert:
    return Upsert(
        OrderStep,
        {"order_id": recorded.stream_id, "version": recorded.version},
        {"kind": kind, "at": at, **values},
    )


def _units(lines: tuple[LineQuantity, ...]) -> str:
    return " ".join(f"{line.variant_id}:{line.quantity}" for line in lines)


def _line(recorded: RecordedEvent, line: LineQuantity) -> dict:
    return {"order_id": recorded.stream_id, "variant_id": line.variant_id}


def order_rows(event, recorded: RecordedEvent) -> tuple[Change, ...]:
    kinds = OrderStep.Kind
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
        case OrderPaid():
            return (StreamRow(set={"status": OrderSummary.Status.PAID}),)
        case OrderShipped(shipped_at=at):
            return StreamRow(set={"status": OrderSummary.Status.SHIPPED}), _step(
                recorded, kinds.SHIPPED, at
            )
        case OrderCancelled(cancelled_at=at, reason=reason):
            return StreamRow(set={"status": OrderSummary.Status.CANCELLED}), _step(
                recorded, kinds.CANCELLED, at, detail=reason
            )
        case OrderClaimed(user_id=user_id):
            return (StreamRow(set={"customer_id": user_id}),)
        case PaymentFailed(reason=reason, card_last4=last4, failed_at=at):
            card = f"card ending {last4}: " if last4 else ""
            detail = card + DECLINES.get(reason, "the payment failed")
            return (_step(recorded, kinds.PAYMENT_FAILED, at, detail=detail),)
        case PaymentCaptured(amount=amount, captured_at=at):
            return StreamRow(add={"captured": amount.amount}), _step(
                recorded, kinds.PAID, at, amount=amount.amount, currency=amount.currency
            )
        case RefundRequested(amount=amount):
            return (StreamRow(add={"refund_pending": amount.amount}),)
        case RefundFailed(amount=amount):
            return (StreamRow(add={"refund_pending": -amount.amount}),)
        case PaymentRefunded(amount=amount, lines=lines, reason=reason, refunded_at=at):
            return (
                StreamRow(add={"refunded": amount.amount, "refund_pending": -amount.amount}),
                *(
                    Update(
                        OrderLine, _line(recorded, line), add={"refunded_quantity": line.quantity}
                    )
                    for line in lines
                ),
                _step(
                    recorded,
                    kinds.REFUNDED,
                    at,
                    amount=amount.amount,
                    currency=amount.currency,
                    detail=reason,
                    units=_units(lines),
                ),
            )
        case ReturnReceived(lines=lines, received_at=at):
            return (
                *(
                    Update(
                        OrderLine, _line(recorded, line), add={"returned_quantity": line.quantity}
                    )
                    for line in lines
                ),
                _step(recorded, kinds.RETURNED, at, units=_units(lines)),
            )
    return ()
