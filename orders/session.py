"""Which orders this browser session placed as a guest, and handing them over at login.

A guest's order remembers who placed it (``OrderSummary.placed_by``: ``guest:<shopper
id>``, the id kept in the session). When that shopper signs up or logs in, the orders
become the customer's with an ``OrderClaimed`` event on each order stream, so "Your
orders" shows them on every device.
"""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.models import OrderSummary
from orders.services import order_claim_for_customer
from shop.web import SHOPPER_KEY, command_context


def guest_shopper(request: HttpRequest) -> str | None:
    """The guest actor of this session (``guest:<id>``), or None for a customer or a stranger."""
    if request.user.is_authenticated:
        return None
    shopper = request.session.get(SHOPPER_KEY)
    return f"guest:{shopper}" if shopper else None


def guest_orders(placed_by: str | None) -> QuerySet[OrderSummary]:
    """The orders a guest placed from this session that no customer has claimed."""
    if not placed_by:
        return OrderSummary.objects.none()
    return OrderSummary.objects.filter(placed_by=placed_by, customer__isnull=True)


def claim_orders_on_login(request: HttpRequest, placed_by: str | None) -> None:
    """Right after login: the orders the guest placed in this session become the customer's."""
    order_ids = list(guest_orders(placed_by).values_list("order_id", flat=True))
    if not order_ids:
        return
    claimed = order_claim_for_customer(
        order_ids=order_ids, user_id=request.user.pk, context=command_context(request)
    )
    if not claimed:
        return
    numbers = ", ".join(order_id.hex[:8].upper() for order_id in claimed)
    noun = "Your order" if len(claimed) == 1 else "Your orders"
    verb = "is" if len(claimed) == 1 else "are"
    messages.info(request, f"{noun} {numbers} {verb} now in your account.")
