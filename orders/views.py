import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from carts.session import current_cart_id, forget_cart
from orders import domain, services
from orders.forms import CheckoutForm
from orders.models import OrderStep, OrderSummary
from orders.session import guest_orders, guest_shopper
from shop.money import Money
from shop.web import SHOPPER_KEY, actor_of, command_context

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


def _fresh_form(request, quote) -> CheckoutForm:
    initial = {"command_id": uuid.uuid4(), "expected_total": quote.totals.total.amount}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    return CheckoutForm(initial=initial)


def _page(request, form, quote, status=200):
    """The checkout page; for htmx, its summary and form out of band, with the messages."""
    template = "orders/checkout.html#checkout-update" if request.htmx else "orders/checkout.html"
    return render(request, template, {"form": form, "quote": quote}, status=status)


def _refuse(request, quote, message: str, *, status: int):
    """The checkout page again, as the shopper filled it in, with ``message`` at the top of
    the form and in the messages region: what they typed is kept, the hidden fields are
    fresh (a new command id, the total shown now), so the next press places the order they
    see. Nothing is stored."""
    data = request.POST.copy()
    data["command_id"] = str(uuid.uuid4())
    data["expected_total"] = str(quote.totals.total.amount)
    form = CheckoutForm(data)
    form.is_valid()  # the visible fields' own errors show too
    form.add_error(None, message)
    messages.error(request, message)
    return _page(request, form, quote, status=status)


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
    """Refusals answer with the checkout page, the form as filled in and the message beside
    its field (a whole-form problem at the top of the form): 422 for a form that did not come
    from our page (forged or missing hidden fields) or an invalid field, 409 for a conflict
    (an empty cart, a total changed since the page was shown, a reused command id)."""
    form = CheckoutForm(request.POST)
    cart_id = current_cart_id(request)
    if not form.is_valid():
        quote = services.order_quote(cart_id=cart_id)
        if quote.is_empty:
            return _refuse(request, quote, str(domain.NothingToCheckOut()), status=409)
        if form.is_stale:
            return _refuse(request, quote, STALE_FORM, status=422)
        return _page(request, form, quote, status=422)
    data = form.cleaned_data
    expected = data["expected_total"]
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
            expected_total=None if expected is None else Money(expected, settings.SHOP_CURRENCY),
        )
    except services.CHECKOUT_REFUSALS as error:
        quote = services.order_quote(cart_id=cart_id)
        return _refuse(request, quote, str(error), status=409)
    order = visible_orders(request).filter(order_id=placed.order_id).first()
    if order is None:  # a command id from someone else's checkout
        quote = services.order_quote(cart_id=cart_id)
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
