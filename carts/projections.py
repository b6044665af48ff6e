"""CartSummary and CartLine, kept in step with the cart streams.

Adding to a cart is the shop's busiest command, so the two statements each item event runs
are written out (plain SQL that SQLite and PostgreSQL both speak): through the ORM they
cost more to build than to run. The rarer line changes go through the ORM.
"""

from django.db import connection
from django.db.models import F

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
from shop.eventstore import RecordedEvent, events_appended
from shop.money import Money

# Applied strictly in stream order: a replayed or out-of-order event matches no row. A
# NULL leaves that column as it is.
ADVANCE_SUMMARY = """
UPDATE carts_cartsummary SET
    item_count = item_count + %(items)s,
    coupon_code = COALESCE(%(coupon_code)s, coupon_code),
    status = COALESCE(%(status)s, status),
    order_id = COALESCE(%(order_id)s, order_id),
    version = %(version)s,
    last_position = %(position)s,
    updated_at = %(at)s
WHERE cart_id = %(cart)s AND version = %(previous)s
"""

ADD_TO_LINE = """
INSERT INTO carts_cartline (cart_id, product_id, quantity, unit_price, currency)
VALUES (%(cart)s, %(product)s, %(quantity)s, %(price)s, %(currency)s)
ON CONFLICT (cart_id, product_id)
DO UPDATE SET quantity = carts_cartline.quantity + excluded.quantity
"""


def _summary_changes(event) -> dict:
    """What the event changes in the summary: items added (or taken out), coupon, status."""
    match event:
        case ItemAdded(quantity=q):
            return {"items": q}
        case ItemQuantityChanged(quantity=q, previous=previous):
            return {"items": q - previous}
        case ItemRemoved(quantity=q):
            return {"items": -q}
        case CartMerged(lines=lines):
            return {"items": sum(line.quantity for line in lines)}
        case CouponApplied(code=code):
            return {"coupon_code": code}
        case CouponRemoved():
            return {"coupon_code": ""}
        case CartMergedInto():
            return {"status": CartSummary.Status.MERGED}
        case CartCheckedOut(order_id=order_id):
            return {"status": CartSummary.Status.CHECKED_OUT, "order_id": order_id}
    return {}


def _stored(model, field: str, value):
    """``value`` as ``model.field`` stores it (SQLite keeps UUIDs and datetimes as text)."""
    return model._meta.get_field(field).get_db_prep_value(value, connection)


def _advance_summary(recorded: RecordedEvent) -> bool:
    changes = {"items": 0, "coupon_code": None, "status": None, "order_id": None}
    changes.update(_summary_changes(recorded.event))
    changes["order_id"] = _stored(CartSummary, "order_id", changes["order_id"])
    with connection.cursor() as cursor:
        cursor.execute(
            ADVANCE_SUMMARY,
            {
                **changes,
                "version": recorded.version,
                "previous": recorded.version - 1,
                "position": recorded.position,
                "at": _stored(CartSummary, "updated_at", recorded.recorded_at),
                "cart": _stored(CartSummary, "cart_id", recorded.stream_id),
            },
        )
        return cursor.rowcount == 1


def _add_to_line(cart_id, product_id, quantity: int, unit_price: Money) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            ADD_TO_LINE,
            {
                "cart": _stored(CartLine, "cart", cart_id),
                "product": _stored(CartLine, "product", product_id),
                "quantity": quantity,
                "price": _stored(CartLine, "unit_price", unit_price.amount),
                "currency": unit_price.currency,
            },
        )


def project_cart(recorded: RecordedEvent) -> None:
    cart_id = recorded.stream_id
    if recorded.version == 1:
        CartSummary.objects.create(
            cart_id=cart_id, created_at=recorded.recorded_at, updated_at=recorded.recorded_at
        )
    if not _advance_summary(recorded):
        return
    match recorded.event:
        case ItemAdded(product_id=p, quantity=q, unit_price=price):
            _add_to_line(cart_id, p, q, price)
        case ItemQuantityChanged(product_id=p, quantity=q):
            CartLine.objects.filter(cart_id=cart_id, product_id=p).update(quantity=q)
        case ItemRemoved(product_id=p):
            CartLine.objects.filter(cart_id=cart_id, product_id=p).delete()
        case CartMerged(lines=lines):
            for line in lines:
                _add_to_line(cart_id, line.product_id, line.quantity, line.unit_price)


def project_carts(sender, events: list[RecordedEvent], **kwargs) -> None:
    if sender != "cart":
        return
    for recorded in events:
        project_cart(recorded)


def project_coupons(sender, events: list[RecordedEvent], **kwargs) -> None:
    """Coupon.redemptions follows the coupon streams."""
    if sender != "coupon":
        return
    for recorded in events:
        match recorded.event:
            case CouponRedeemed(code=code):
                Coupon.objects.filter(code=code).update(redemptions=F("redemptions") + 1)
            case CouponRedemptionReleased(code=code):
                Coupon.objects.filter(code=code).update(redemptions=F("redemptions") - 1)


def connect() -> None:
    events_appended.connect(project_carts, dispatch_uid="carts.project_carts")
    events_appended.connect(project_coupons, dispatch_uid="carts.project_coupons")
