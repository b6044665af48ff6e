"""The payment page: /orders/<id>/pay/. Only the order's owner (the customer, or the guest
session that placed it) reaches it; anyone else gets a 404. A plain form: it works the same
with JavaScript off."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from orders import domain
from orders.models import OrderSummary
from payments import services
from payments.forms import CardForm
from shop.web import SHOPPER_KEY, command_context

# A declined card: the field the reason belongs beside (None: the form's top), and why.
DECLINES = {
    "declined": ("card_number", "Your card was declined. Please try another card."),
    "insufficient_funds": (
        "card_number",
        "Your card was declined for insufficient funds. Please try another card.",
    ),
    "incorrect_cvc": (
        "security_code",
        "The security code is incorrect. Please check it and try again.",
    ),
}
FAILED = "Your payment could not be completed. Nothing was charged. Please try again."
STALE = "This payment form is out of date. Please enter your card again."
CANCELLED = (
    "This order has been cancelled, so it can no longer be paid. "
    "Anything charged for it is refunded."
)


def owned_orders(request):
    """The orders this shopper placed: theirs as a customer, or this session's as a guest."""
    mine = Q(pk__in=[])
    if request.user.is_authenticated:
        mine |= Q(customer_id=request.user.pk)
    shopper = request.session.get(SHOPPER_KEY)
    if shopper:
        mine |= Q(placed_by=f"guest:{shopper}")
    return OrderSummary.objects.filter(mine)


def _page(request, order, *, form=None, declined=None, status=200):
    """The payment page; ``declined``: (the field the reason goes beside, or None, why)."""
    problem = None
    if form is None:
        form = CardForm(initial={"payment_id": uuid.uuid4()})  # a new attempt: a new id
        if declined is not None:
            field, problem = declined
            if field is not None:
                form.cleaned_data = {}  # an unbound form takes an error beside a field
                form.add_error(field, problem)
                problem = None
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "vat": [row.line for row in order.vat.all()],
        "form": form,
        "problem": problem,
        "deadline": order.placed_at + services.unpaid_timeout(),
        "test_mode": settings.SHOP_PAYMENT_PROVIDER == "test",
    }
    return render(request, "payments/pay.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def pay(request, order_id):
    order = get_object_or_404(owned_orders(request), order_id=order_id)
    if not order.awaits_payment:
        if order.status == OrderSummary.Status.CANCELLED:
            messages.error(request, CANCELLED)
        else:
            messages.info(request, "This order is paid.")
        return redirect(order)
    if request.method != "POST":
        return _page(request, order)
    form = CardForm(request.POST)
    if not form.is_valid():
        if form.is_stale:
            return _page(request, order, declined=(None, STALE), status=422)
        return _page(request, order, form=form, status=422)
    payment_id = form.cleaned_data["payment_id"]
    try:
        outcome = services.payment_pay(
            order_id=order.order_id,
            payment_id=payment_id,
            card=form.card(),
            context=command_context(request, payment_id),
        )
    except domain.OrderAlreadyPaid:
        messages.info(request, "This order is paid.")
        return redirect(order)
    except domain.OrderCancelledError:
        messages.error(request, CANCELLED)
        return redirect(order)
    except domain.OrderError as error:  # a payment under way, a form of another order
        return _page(request, order, declined=(None, str(error)), status=409)
    if outcome.paid:
        messages.success(request, f"Thank you! We received your payment of {order.total_money}.")
        return redirect(order)
    if outcome.decline == "order_cancelled":
        messages.error(request, CANCELLED)
        return redirect(order)
    return _page(request, order, declined=DECLINES.get(outcome.decline, (None, FAILED)), status=402)
