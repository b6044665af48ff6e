import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from carts.session import (
    current_cart_id,
    forget_cart,
    remember_shipping_country,
    shipping_country,
)
from orders import domain, services
from orders.forms import CheckoutForm
from orders.models import OrderStep, OrderSummary
from orders.session import guest_orders, guest_shopper
from shipping.services import country_name, method_exists
from shop.money import Money
from shop.web import SHOPPER_KEY, actor_of, command_context

UNKNOWN_METHOD = "There is no such shipping method. Please choose one of those offered."
STALE_FORM = "This checkout form is out of date. Please review your order and place it again."


def visible_orders(request) -> QuerySet[OrderSummary]:
    """Staff see every order; a customer theirs; a guest those placed from their session."""
    orders = OrderSummary.objects.all()
    if request.user.is_staff:
        return orders
    mine = Q(pk__in=[])
    if request.user.is_authenticated:
        mine |= Q(customer_id=request.user.pk)
    shopper = request.session.get(SHOPPER_KEY)
    if shopper:
        mine |= Q(placed_by=f"guest:{shopper}")
    return orders.filter(mine)


def _fresh_form(request, quote, data=None) -> CheckoutForm:
    initial = {name: value for name, value in (data or {}).items() if name in CheckoutForm.ADDRESS}
    if not initial.get("email") and request.user.is_authenticated:
        initial["email"] = request.user.email
    if not initial.get("country"):
        initial["country"] = shipping_country(request)
    initial["command_id"] = uuid.uuid4()
    initial["expected_total"] = quote.totals.goods_total.amount
    return CheckoutForm(initial=initial)


def _page(request, form, quote, status=200, *, shipping_step=False, shipping_error=""):
    """The checkout page: the address, then (``shipping_step``) the methods serving it. For
    htmx, its summary and form out of band, with the messages."""
    context = {
        "form": form,
        "quote": quote,
        "shipping_step": shipping_step and bool(quote.country),
        "shipping_error": shipping_error or _first(form.errors.get("shipping_method")),
    }
    template = "orders/checkout.html#checkout-update" if request.htmx else "orders/checkout.html"
    return render(request, template, context, status=status)


def _first(errors) -> str:
    return errors[0] if errors else ""


def _refuse(request, quote, message: str, *, status: int, shipping: bool = False):
    """The checkout page again, as the shopper filled it in, with ``message`` at the top of
    the form (or, for the ``shipping`` method, in its fieldset) and in the messages region:
    what they typed is kept, the hidden fields are fresh (a new command id, the total shown
    now), and the methods are those offered now, so the next press places the order they
    see. Nothing is stored."""
    data = request.POST.copy()
    data["command_id"] = str(uuid.uuid4())
    data["expected_total"] = str(quote.totals.goods_total.amount)
    form = CheckoutForm(data)
    form.is_valid()  # the visible fields' own errors show too
    if not shipping:
        form.add_error(None, message)
    messages.error(request, message)
    return _page(
        request,
        form,
        quote,
        status=status,
        shipping_step=bool(quote.offers),
        shipping_error=message if shipping else "",
    )


@require_http_methods(["GET", "HEAD", "POST"])
def checkout(request):
    if request.method == "POST":
        return place_order(request)
    quote = services.order_quote(cart_id=current_cart_id(request))
    if quote.is_empty:
        messages.info(request, "Your cart is empty.")
        return redirect("carts:detail")
    return _page(request, _fresh_form(request, quote), quote)


def place_order(request):
    """Two steps of one form: "Continue to shipping" (``step=shipping``) shows the methods
    that ship to the address; "Place order" checks the order out with the chosen one.

    Refusals answer with the checkout page, the form as filled in and the message beside
    its field (a whole-form problem at the top of the form, a shipping one in the shipping
    methods' fieldset): 422 for a form that did not come from our page (forged or missing
    hidden fields, a shipping choice that is not one of ours) or an invalid field, 409 for a
    conflict (an empty cart, a total or a shipping price changed since the page was shown,
    a method that no longer ships there, a reused command id)."""
    form = CheckoutForm(request.POST)
    cart_id = current_cart_id(request)
    valid = form.is_valid()
    data = form.cleaned_data
    choice = data.get("shipping_method")
    country = data.get("country", "")
    step = request.POST.get("step") == "shipping"
    if not valid or choice is None or step:
        quote = services.order_quote(
            cart_id=cart_id, country=country, method_id=choice[0] if choice else None
        )
        if quote.is_empty:
            return _refuse(request, quote, str(domain.NothingToCheckOut()), status=409)
        if form.is_stale:
            return _refuse(request, quote, STALE_FORM, status=422)
        if not valid:
            return _page(request, form, quote, status=422, shipping_step=bool(quote.offers))
        remember_shipping_country(request, quote.country)
        if not quote.offers:
            form.add_error("country", f"Sorry, we do not ship to {country_name(country)}.")
            return _page(request, form, quote, status=422)
        if step:
            return _page(request, _fresh_form(request, quote, data), quote, shipping_step=True)
        return _refuse(request, quote, "Choose a shipping method.", status=422, shipping=True)
    expected = data["expected_total"]
    currency = settings.SHOP_CURRENCY
    try:
        placed = services.order_checkout(
            cart_id=cart_id,
            command_id=data["command_id"],
            customer=domain.Customer(
                email=data["email"],
                user_id=request.user.pk if request.user.is_authenticated else None,
                actor=actor_of(request),
            ),
            address=domain.Address(
                full_name=data["full_name"],
                address=data["address"],
                city=data["city"],
                postal_code=data["postal_code"],
                country=data["country"],
            ),
            context=command_context(request, data["command_id"]),
            expected_total=None if expected is None else Money(expected, currency),
            shipping_method=choice[0],
            expected_shipping=Money(choice[1], currency),
        )
    except services.CHECKOUT_REFUSALS as error:
        quote = services.order_quote(cart_id=cart_id, country=country, method_id=choice[0])
        status, message = 409, str(error)
        if isinstance(error, domain.ShippingUnavailable) and not method_exists(choice[0]):
            status, message = 422, UNKNOWN_METHOD  # no such method: not our page's value
        shipping = isinstance(error, domain.ShippingUnavailable | domain.ShippingPriceChanged)
        return _refuse(request, quote, message, status=status, shipping=shipping)
    order = visible_orders(request).filter(order_id=placed.order_id).first()
    if order is None:  # a command id from someone else's checkout
        quote = services.order_quote(cart_id=cart_id, country=country)
        return _refuse(request, quote, STALE_FORM, status=409)
    if cart_id == order.cart_id:
        forget_cart(request)
    if order.awaits_payment and is_owner(request, order):
        return redirect("payments:pay", order_id=order.order_id)
    return redirect(order)


def is_owner(request, order: OrderSummary) -> bool:
    """The customer who placed it, or the guest session that did."""
    return (request.user.is_authenticated and order.customer_id == request.user.pk) or (
        order.placed_by == f"guest:{request.session.get(SHOPPER_KEY)}"
    )


@require_safe
def order_detail(request, order_id):
    order = get_object_or_404(visible_orders(request), order_id=order_id)
    lines = list(order.lines.all())
    context = {
        "order": order,
        "lines": lines,
        "vat": [row.line for row in order.vat.all()],
        "is_customer": is_owner(request, order),
        "story": story(order, lines),
    }
    return render(request, "orders/order_detail.html", context)


def story(order: OrderSummary, lines) -> list[dict]:
    """The order's steps in words, oldest first: what it says beside each date."""
    names = {
        str(line.variant_id): f"{line.name}, {line.variant_label}"
        if line.variant_label
        else line.name
        for line in lines
    }
    placed = OrderStep(
        kind=OrderStep.Kind.PLACED, at=order.placed_at, amount=order.total, currency=order.currency
    )
    told = [{"step": placed, "units": ""}]
    for step in order.steps.all():
        units = ", ".join(
            f"{count} × {names.get(pid, 'an item')}" for pid, count in step.unit_counts()
        )
        told.append({"step": step, "units": units})
    return told


@require_safe
def order_list(request):
    """A customer's orders; for a guest, the orders placed from this browser session."""
    if request.user.is_authenticated:
        orders = OrderSummary.objects.filter(customer_id=request.user.pk)
    else:
        orders = guest_orders(guest_shopper(request))
    return render(request, "orders/order_list.html", {"orders": orders})
