"""CartSummary and CartLine, kept in step with the cart streams."""

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


def _add_to_line(cart_id, product_id, quantity: int, unit_price: Money) -> None:
    updated = CartLine.objects.filter(cart_id=cart_id, product_id=product_id).update(
        quantity=F("quantity") + quantity
    )
    if not updated:
        CartLine.objects.create(
            cart_id=cart_id,
            product_id=product_id,
            quantity=quantity,
            unit_price=unit_price.amount,
            currency=unit_price.currency,
        )


def project_cart(recorded: RecordedEvent) -> None:
    cart_id = recorded.stream_id
    if recorded.version == 1:
        CartSummary.objects.create(
            cart_id=cart_id, created_at=recorded.recorded_at, updated_at=recorded.recorded_at
        )
    changes = {}
    match recorded.event:
        case ItemAdded(quantity=q):
            changes["item_count"] = F("item_count") + q
        case ItemQuantityChanged(quantity=q, previous=previous):
            changes["item_count"] = F("item_count") + (q - previous)
        case ItemRemoved(quantity=q):
            changes["item_count"] = F("item_count") - q
        case CartMerged(lines=lines):
            changes["item_count"] = F("item_count") + sum(line.quantity for line in lines)
        case CouponApplied(code=code):
            changes["coupon_code"] = code
        case CouponRemoved():
            changes["coupon_code"] = ""
        case CartMergedInto():
            changes["status"] = CartSummary.Status.MERGED
        case CartCheckedOut(order_id=order_id):
            changes["status"] = CartSummary.Status.CHECKED_OUT
            changes["order_id"] = order_id
    # Applied strictly in stream order: a replayed or out-of-order event changes nothing.
    applied = CartSummary.objects.filter(cart_id=cart_id, version=recorded.version - 1).update(
        **changes,
        version=recorded.version,
        last_position=recorded.position,
        updated_at=recorded.recorded_at,
    )
    if not applied:
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
