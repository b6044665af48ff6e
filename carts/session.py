"""Which cart belongs to this request: the cart id lives in the session, never the request."""

import uuid
from uuid import UUID

from django.http import HttpRequest

from carts.models import CartSummary

SESSION_KEY = "cart_id"


def current_cart_id(request: HttpRequest) -> UUID | None:
    value = request.session.get(SESSION_KEY)
    return UUID(value) if value else None


def ensure_cart_id(request: HttpRequest) -> UUID:
    cart_id = current_cart_id(request)
    if cart_id is None:
        cart_id = uuid.uuid4()
        request.session[SESSION_KEY] = str(cart_id)
    return cart_id


def forget_cart(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def cart_item_count(request: HttpRequest) -> int:
    cart_id = current_cart_id(request)
    if cart_id is None:
        return 0
    count = (
        CartSummary.objects.filter(cart_id=cart_id, status=CartSummary.Status.OPEN)
        .values_list("item_count", flat=True)
        .first()
    )
    return count or 0
