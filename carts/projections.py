"""What cart and coupon events do to CartSummary, CartLine and Coupon.redemptions.

Each function maps one recorded event to row changes; ``shop.projections`` applies them
live (in the append's transaction) and in batch (``rebuild_projections``), and keeps the
summary, the cart stream's row, at the stream's version: an event seen again changes
nothing.
"""

from carts.coupons import CouponRedeemed, CouponRedemptionReleased
from carts.domain import (
    CartCheckedOut,
    CartMerged,
    CartMergedInto,
    CouponApplied,
    CouponRemoved,
    ItemAdded,
    ItemQuantityChanged,
    ItemRemoved,
)
from carts.models import CartLine, CartSummary, Coupon
from shop.eventstore import RecordedEvent
from shop.money import Money
from shop.projections import Change, Delete, StreamRow, Update, Upsert


def cart_rows(event, recorded: RecordedEvent) -> tuple[Change, ...]:
    """A cart event's changes to its CartSummary (the stream row) and its lines."""
    cart = recorded.stream_id
    match event:
        case ItemAdded(product_id=p, variant_id=v, quantity=q, unit_price=price):
            line = _add_line(cart, p, v, q, price, slot_of(recorded))
            return StreamRow(add={"item_count": q}), line
        case ItemQuantityChanged(variant_id=v, quantity=q, previous=previous):
            return (
                StreamRow(add={"item_count": q - previous}),
                Update(CartLine, _line(cart, v), set={"quantity": q}),
            )
        case ItemRemoved(variant_id=v, quantity=q):
            return StreamRow(add={"item_count": -q}), Delete(CartLine, _line(cart, v))
        case CartMerged(lines=lines):
            return StreamRow(add={"item_count": sum(line.quantity for line in lines)}), *(
                _add_line(
                    cart,
                    line.product_id,
                    line.variant_id,
                    line.quantity,
                    line.unit_price,
                    recorded.position,
                )
                for line in lines
            )
        case CouponApplied(code=code):
            return (StreamRow(set={"coupon_code": code}),)
        case CouponRemoved():
            return (StreamRow(set={"coupon_code": ""}),)
        case CartMergedInto():
            return (StreamRow(set={"status": CartSummary.Status.MERGED}),)
        case CartCheckedOut(order_id=order_id):
            return (
                StreamRow(set={"status": CartSummary.Status.CHECKED_OUT, "order_id": order_id}),
            )
    return ()


def _line(cart_id, variant_id) -> dict:
    return {"cart_id": cart_id, "variant_id": variant_id}


def slot_of(recorded: RecordedEvent) -> int:
    """Where a line the event creates goes in the cart: after the lines before it, or, for
    an undone removal, back where it was (the undo names the slot in its metadata)."""
    return int(recorded.metadata.get("slot") or recorded.position)


def _add_line(
    cart_id, product_id, variant_id, quantity: int, unit_price: Money, slot: int
) -> Upsert:
    """A new line at this price and slot, or more of a line there already (its price and
    slot stay)."""
    return Upsert(
        CartLine,
        _line(cart_id, variant_id),
        {
            "product_id": product_id,
            "quantity": quantity,
            "unit_price": unit_price.amount,
            "currency": unit_price.currency,
            "slot": slot,
        },
        add=("quantity",),
    )


def coupon_rows(event, recorded: RecordedEvent) -> tuple[Change, ...]:
    """Coupon.redemptions follows the coupon streams (the rows themselves are staff's),
    by stream id: staff can change a coupon's code."""
    coupon = {"stream_id": recorded.stream_id}
    match event:
        case CouponRedeemed():
            return (Update(Coupon, coupon, add={"redemptions": 1}),)
        case CouponRedemptionReleased():
            return (Update(Coupon, coupon, add={"redemptions": -1}),)
    return ()
