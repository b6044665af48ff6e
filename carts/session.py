"""Which cart belongs to this request: the cart id lives in the session, never the request.

A guest's cart id is kept in the session. A logged-in customer's open cart is a
``CustomerCart`` row, so it follows them to any browser they log in from; the session keeps
a copy. ``forget_cart`` (after checkout) makes the next add start a new cart stream.
"""

import uuid
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest

from carts.models import CartSummary, CustomerCart
from carts.services import cart_claim_for_customer
from catalog.models import Product
from shop.eventstore import ConcurrencyError
from shop.web import command_context

SESSION_KEY = "cart_id"
COUNTRY_KEY = "shipping_country"  # where the shopper said they ship to (an ISO code)
_CACHE = "_shop_cart_id"  # request attribute: the cart id looked up once per request


def _customer(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _session_cart_id(request: HttpRequest) -> UUID | None:
    value = request.session.get(SESSION_KEY)
    return UUID(value) if value else None


def _remember(request: HttpRequest, cart_id: UUID | None) -> UUID | None:
    if cart_id is None:
        request.session.pop(SESSION_KEY, None)
    elif request.session.get(SESSION_KEY) != str(cart_id):
        request.session[SESSION_KEY] = str(cart_id)
    setattr(request, _CACHE, cart_id)
    return cart_id


def current_cart_id(request: HttpRequest) -> UUID | None:
    """This shopper's cart id, or None before their first add."""
    if hasattr(request, _CACHE):
        return getattr(request, _CACHE)
    cart_id = _session_cart_id(request)
    customer = _customer(request)
    if customer is not None:
        owned = CustomerCart.objects.filter(user=customer).values_list("cart_id", flat=True).first()
        if owned is not None:
            return _remember(request, owned)
    setattr(request, _CACHE, cart_id)
    return cart_id


def ensure_cart_id(request: HttpRequest) -> UUID:
    """This shopper's cart id, starting a new cart (and, for a customer, owning it) if none."""
    cart_id = current_cart_id(request)
    customer = _customer(request)
    if customer is not None:
        owned, _ = CustomerCart.objects.get_or_create(
            user=customer, defaults={"cart_id": cart_id or uuid.uuid4()}
        )
        return _remember(request, owned.cart_id)
    if cart_id is None:
        cart_id = _remember(request, uuid.uuid4())
    return cart_id


def forget_cart(request: HttpRequest) -> None:
    """Drop this shopper's cart (after checkout): the next add starts a new cart stream."""
    cart_id = current_cart_id(request)
    customer = _customer(request)
    if customer is not None and cart_id is not None:
        CustomerCart.objects.filter(user=customer, cart_id=cart_id).delete()
    _remember(request, None)


def adopt_cart(request: HttpRequest, cart_id: UUID | None) -> None:
    """Make ``cart_id`` this request's cart (after login claimed or merged carts)."""
    _remember(request, cart_id)


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


def claim_cart_on_login(request: HttpRequest, guest_cart_id: UUID | None) -> None:
    """Right after login: keep the customer's cart and merge the guest cart into it.

    Tells the shopper what the guest cart brought. Safe to call again: a guest cart merges
    once (the domain's MergeCart is idempotent per source cart).
    """
    try:
        claim = cart_claim_for_customer(
            user_id=request.user.pk, guest_cart_id=guest_cart_id, context=command_context(request)
        )
    except ConcurrencyError:  # the carts kept changing under us: keep both as they are
        adopt_cart(request, None)
        messages.warning(request, "We could not bring your cart along; please try again.")
        return
    adopt_cart(request, claim.cart_id)
    if claim.merged_from is None:
        return
    if not claim.lines:
        messages.info(
            request,
            "Nothing more could be added from before you logged in: those items are out of "
            "stock or already in your cart.",
        )
        return
    names = dict(
        Product.objects.filter(id__in=[line.product_id for line in claim.lines]).values_list(
            "id", "name"
        )
    )
    brought = ", ".join(f"{line.quantity} × {names.get(line.product_id)}" for line in claim.lines)
    messages.success(request, f"We added the items from before you logged in: {brought}.")


def shipping_country(request: HttpRequest) -> str:
    """The country the shopper gave for shipping (cart estimate, checkout), or ""."""
    return request.session.get(COUNTRY_KEY, "")


def remember_shipping_country(request: HttpRequest, code: str) -> None:
    if request.session.get(COUNTRY_KEY) != code:
        request.session[COUNTRY_KEY] = code
