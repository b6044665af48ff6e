"""Shopper and staff journeys built through the shop's own commands, for the staff tests."""

import uuid
from decimal import Decimal

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from carts import coupons
from carts.domain import ApplyCoupon, CheckoutCart, RemoveItem
from carts.models import Coupon
from carts.services import CART, COUPON, cart_add_item
from shop.aggregates import CommandContext, execute
from shop.money import Money


def shopper(actor="guest:tests") -> CommandContext:
    """A fresh context per command, as each request gets its own ids."""
    return CommandContext(actor=actor)


STAFF_PERMISSIONS = [
    ("shop", "view_event"),
    ("catalog", "view_product"),
    ("catalog", "change_product"),
    ("carts", "view_cartsummary"),
    ("carts", "view_cartline"),
]


def staff_user(username="staff", password="staff-password-1", permissions=STAFF_PERMISSIONS):
    user = User.objects.create_user(username, password=password, is_staff=True)
    for app_label, codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def checked_out_cart(kept, removed, *, cart_id=None):
    """Add two products, remove one, check out: the cart a staff member investigates."""
    cart_id = cart_id or uuid.uuid4()
    cart_add_item(cart_id=cart_id, product=kept, quantity=2, context=shopper())
    cart_add_item(cart_id=cart_id, product=removed, quantity=1, context=shopper())
    execute(CART, cart_id, RemoveItem(product_id=removed.id), shopper())
    order_id = uuid.uuid4()
    execute(CART, cart_id, CheckoutCart(order_id=order_id), shopper())
    return cart_id, order_id


def apply_coupon(cart_id, code, subtotal: Money, *, context=None):
    coupon = Coupon.objects.get(code=code.upper())
    command = ApplyCoupon(code=code, coupon=coupon.terms(), subtotal=subtotal, now=timezone.now())
    return execute(CART, cart_id, command, context or shopper())


def redeem_coupon(code, order_id, *, context=None):
    coupon = Coupon.objects.get(code=code.upper())
    command = coupons.RedeemCoupon(
        code=coupon.code, order_id=order_id, max_redemptions=coupon.max_redemptions
    )
    return execute(COUPON, coupons.coupon_stream_id(coupon.code), command, context or shopper())


def ten_percent_coupon(code="TEN"):
    return Coupon.objects.create(code=code, value=Decimal("10"))
