"""Cart pages and actions. Each action is one view for both htmx and a plain form post.

Plain posts redirect to the cart page (post/redirect/get); htmx requests get the parts that
changed, all out of band: the line, the summary, the header badge and the messages.
"""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from carts import services
from carts.domain import CartError, EmptyCart, ItemNotInCart, ItemRemoved, NothingToUndo
from carts.forms import (
    AddToCartForm,
    ChangeQuantityForm,
    CouponForm,
    RemoveItemForm,
    UndoForm,
    first_error,
)
from carts.selectors import CartContents, cart_contents
from carts.session import current_cart_id, ensure_cart_id
from catalog.models import Product
from shop.web import command_context, refuse, safe_next

UNDO_KEY = "cart_undo"  # session: the position of the last removal, offered for undo


def _page_context(contents: CartContents) -> dict:
    return {
        "lines": contents.lines,
        "totals": contents.totals,
        "coupon": contents.coupon,
        "coupon_code": contents.summary.coupon_code if contents.summary else "",
        "cart_count": contents.item_count,
    }


def _answer(
    request,
    cart_id: UUID,
    *,
    line: UUID | None = None,
    removed: UUID | None = None,
    whole: bool = False,
):
    """Redirect a plain post; give htmx the changed line, summary, badge and messages."""
    if not request.htmx:
        return redirect("carts:detail")
    contents = cart_contents(cart_id=cart_id, now=timezone.now())
    context = {
        **_page_context(contents),
        "line": contents.line(line) if line else None,
        "removed_id": removed,
        "whole_panel": whole or not contents.lines,
    }
    return render(request, "carts/cart_detail.html#cart-update", context)


def _offer_undo(request, outcome, name: str) -> None:
    removal = next(r for r in outcome.recorded if isinstance(r.event, ItemRemoved))
    request.session[UNDO_KEY] = removal.position
    messages.success(request, f"Removed {name} from your cart.", extra_tags="undo")


@require_GET
def detail(request):
    contents = cart_contents(cart_id=current_cart_id(request), now=timezone.now())
    return render(request, "carts/cart_detail.html", _page_context(contents))


def read_add_form(request) -> tuple[AddToCartForm, Product] | HttpResponse:
    """The valid add-to-cart form and the listed product it names, or the refusal to send.

    The benchmarks' CRUD baseline reads its form with this too, so both do the same work.
    """
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        return refuse(request, first_error(form), status=422)
    product = Product.objects.filter(id=form.cleaned_data["product"], is_listed=True).first()
    if product is None:
        return refuse(request, "That product is not in our catalog.", status=404)
    return form, product


@require_POST
def add(request):
    asked = read_add_form(request)
    if isinstance(asked, HttpResponse):
        return asked
    form, product = asked
    quantity = form.cleaned_data["quantity"]
    try:
        outcome = services.cart_add_item(
            cart_id=ensure_cart_id(request),
            product=product,
            quantity=quantity,
            context=command_context(request),
        )
    except CartError as error:
        return refuse(request, f"{product.name}: {error}", status=409)
    messages.success(request, f"Added {quantity} × {product.name} to your cart.")
    if request.htmx:
        return render(request, "carts/added.html", {"cart_count": outcome.state.item_count})
    return redirect(safe_next(request, form.cleaned_data["next"], product.get_absolute_url()))


def _read_line_form(request, form_class) -> tuple[Any, UUID, Product] | HttpResponse:
    """A valid form about one line of the shopper's cart, the cart and the line's product;
    or the refusal to send."""
    form = form_class(request.POST)
    if not form.is_valid():
        return refuse(request, first_error(form), status=422)
    cart_id = current_cart_id(request)
    product = Product.objects.filter(id=form.cleaned_data["product"]).first()
    if cart_id is None or product is None:
        return refuse(request, str(ItemNotInCart()), status=404)
    return form, cart_id, product


def _read_cart_form(request, form_class, no_cart: CartError) -> tuple[Any, UUID] | HttpResponse:
    """A valid form about the shopper's cart and the cart; or the refusal to send
    (``no_cart`` when the shopper has none)."""
    form = form_class(request.POST)
    if not form.is_valid():
        return refuse(request, first_error(form), status=422)
    cart_id = current_cart_id(request)
    if cart_id is None:
        return refuse(request, str(no_cart), status=409)
    return form, cart_id


@require_POST
def change(request):
    asked = _read_line_form(request, ChangeQuantityForm)
    if isinstance(asked, HttpResponse):
        return asked
    form, cart_id, product = asked
    quantity = form.cleaned_data["quantity"]
    try:
        outcome = services.cart_change_quantity(
            cart_id=cart_id, product=product, quantity=quantity, context=command_context(request)
        )
    except CartError as error:
        return refuse(request, f"{product.name}: {error}", status=409)
    if quantity == 0:
        _offer_undo(request, outcome, product.name)
        return _answer(request, cart_id, removed=product.id)
    messages.success(request, f"{product.name}: quantity is now {quantity}.")
    return _answer(request, cart_id, line=product.id)


@require_POST
def remove(request):
    asked = _read_line_form(request, RemoveItemForm)
    if isinstance(asked, HttpResponse):
        return asked
    _form, cart_id, product = asked
    try:
        outcome = services.cart_remove_item(
            cart_id=cart_id, product_id=product.id, context=command_context(request)
        )
    except CartError as error:
        return refuse(request, f"{product.name}: {error}", status=409)
    _offer_undo(request, outcome, product.name)
    return _answer(request, cart_id, removed=product.id)


@require_POST
def undo(request):
    asked = _read_cart_form(request, UndoForm, NothingToUndo())
    if isinstance(asked, HttpResponse):
        return asked
    form, cart_id = asked
    try:
        outcome = services.cart_undo_removal(
            cart_id=cart_id,
            removal_position=form.cleaned_data["removal"],
            now=timezone.now(),
            context=command_context(request),
        )
    except CartError as error:
        return refuse(request, str(error), status=409)
    request.session.pop(UNDO_KEY, None)
    restored = outcome.recorded[0].event
    name = Product.objects.filter(id=restored.product_id).values_list("name", flat=True).first()
    messages.success(request, f"Put {restored.quantity} × {name} back in your cart.")
    return _answer(request, cart_id, whole=True)


@require_POST
def apply_coupon(request):
    asked = _read_cart_form(request, CouponForm, EmptyCart())
    if isinstance(asked, HttpResponse):
        return asked
    form, cart_id = asked
    try:
        outcome = services.cart_apply_coupon(
            cart_id=cart_id,
            code=form.cleaned_data["code"],
            now=timezone.now(),
            context=command_context(request),
        )
    except CartError as error:
        return refuse(request, str(error), status=409)
    messages.success(request, f"Coupon {outcome.state.coupon} applied.")
    return _answer(request, cart_id)


@require_POST
def remove_coupon(request):
    cart_id = current_cart_id(request)
    if cart_id is None:
        return refuse(request, str(EmptyCart()), status=409)
    try:
        outcome = services.cart_remove_coupon(cart_id=cart_id, context=command_context(request))
    except CartError as error:
        return refuse(request, str(error), status=409)
    if outcome.recorded:
        messages.success(request, f"Coupon {outcome.recorded[0].event.code} removed.")
    else:
        messages.info(request, "There is no coupon on your cart.")
    return _answer(request, cart_id)
