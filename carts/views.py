"""Cart pages and actions. Each action is one view for both htmx and a plain form post.

Plain posts redirect to the cart page (post/redirect/get); htmx requests get the parts that
changed, all out of band: the line, the summary, the header badge and the messages.

A refusal answers with the page the shopper was on, its forms still there and the message
beside the field that caused it: 422 for invalid input, 404 for something unknown, 409 for
a real conflict (not enough stock, a checked-out cart). With htmx, only the form or cart
part that holds the field comes back, out of band, with the message.
"""

from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from carts import services, throttle
from carts.domain import (
    CartError,
    CouponRefused,
    EmptyCart,
    InvalidQuantity,
    ItemNotInCart,
    ItemRemoved,
    NotEnoughStock,
    NothingToUndo,
    UnknownCoupon,
)
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
from catalog.domain import CombinationNotSold
from catalog.models import Product, ProductVariant
from catalog.views import catalog_context, page_at, product_context
from shop.eventstore import ConcurrencyError
from shop.middleware import ConcurrencyConflictMiddleware
from shop.web import command_context, local_path, redirect_to_next, refuse

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
    if context["whole_panel"]:
        contents.fetch_pictures()
    elif context["line"]:
        contents.fetch_pictures(context["line"])
    return render(request, "carts/cart_detail.html#cart-update", context)


# What a cart action refuses: the cart's rules, and a command that lost every retry to
# concurrent writers (a 409 "try again" on the page, instead of the middleware's last resort).
REFUSALS = (CartError, ConcurrencyError)


def said(error: CartError | ConcurrencyError) -> str:
    """The refusal's message for the shopper."""
    if isinstance(error, ConcurrencyError):
        return ConcurrencyConflictMiddleware.MESSAGE
    return str(error)


def status_of(error: CartError | ConcurrencyError) -> int:
    match error:
        case UnknownCoupon():
            return 404
        case InvalidQuantity():
            return 422
        case _:
            return 409


def _typed(request, name: str) -> str:
    """What the shopper typed in a field, to show it again (cut short)."""
    return request.POST.get(name, "")[:40]


def _refuse_on_cart(
    request, message: str, *, status: int, line: UUID | None = None, coupon: bool = False
):
    """The cart again, with ``message`` beside the line's quantity or the coupon field."""
    messages.error(request, message)
    contents = cart_contents(cart_id=current_cart_id(request), now=timezone.now())
    context = {
        **_page_context(contents),
        "line_error": {"line": line, "message": message, "quantity": _typed(request, "quantity")}
        if line
        else None,
        "coupon_error": message if coupon else "",
        "coupon_typed": _typed(request, "code") if coupon else "",
    }
    if not request.htmx:
        contents.fetch_pictures()
        return render(request, "carts/cart_detail.html", context, status=status)
    context["line"] = contents.line(line) if line else None
    context["whole_panel"] = not contents.lines
    if context["line"]:
        contents.fetch_pictures(context["line"])
    return render(request, "carts/cart_detail.html#cart-update", context, status=status)


def _refuse_add(
    request,
    message: str,
    *,
    status: int,
    product: Product | None,
    next_path: str,
    chosen: tuple[str, ...] | None = None,
):
    """The catalog page the shopper was on, with ``message`` beside the quantity (and the
    options the shopper chose still chosen)."""
    if product is None and request.htmx:
        return refuse(request, message, status=status)
    messages.error(request, message)
    add_error = {
        "product": product.id if product else None,
        "message": message,
        "quantity": _typed(request, "quantity"),
    }
    if request.htmx:
        context = {**product_context(product, chosen, related=False), "add_error": add_error}
        context["next_path"] = next_path
        context["detail"] = urlsplit(next_path).path == product.get_absolute_url()
        return render(request, "carts/add_refused.html", context, status=status)
    page = page_at(next_path, chosen) if next_path else None
    if page is None:
        page = (
            ("catalog/product_detail.html", product_context(product, chosen))
            if product
            else ("catalog/product_list.html", catalog_context(request.GET.copy()))
        )
    template, context = page
    context.update(add_error=add_error, next_path=next_path)
    return render(request, template, context, status=status)


def _chosen_variant(
    variants: list[ProductVariant], chosen: tuple[str, ...] | None
) -> ProductVariant | None:
    """The variant of these option values (None chosen: the default variant)."""
    if chosen is None:
        product_id = variants[0].product_id
        return next((v for v in variants if v.id == product_id), variants[0])
    return next((v for v in variants if tuple(v.options) == chosen), None)


def _offer_undo(request, outcome, name: str) -> None:
    removal = next(r for r in outcome.recorded if isinstance(r.event, ItemRemoved))
    request.session[UNDO_KEY] = removal.position
    messages.success(request, f"Removed {name} from your cart.", extra_tags="undo")


@require_safe
def detail(request):
    contents = cart_contents(cart_id=current_cart_id(request), now=timezone.now())
    contents.fetch_pictures()
    return render(request, "carts/cart_detail.html", _page_context(contents))


def read_add_form(request) -> tuple[AddToCartForm, Product, ProductVariant] | HttpResponse:
    """The valid add-to-cart form, the listed product it names and the variant its options
    choose (none posted: the default one), or the refusal to send. One query: the
    product's variants, each with the product.

    The benchmarks' CRUD baseline reads its form with this too, so both do the same work.
    """
    form = AddToCartForm(request.POST)
    form.is_valid()
    next_path = local_path(form.cleaned_data.get("next")) or ""
    if "product" in form.errors:
        message = form.errors["product"][0]
        return _refuse_add(request, message, status=422, product=None, next_path=next_path)
    variants = list(
        ProductVariant.objects.select_related("product").filter(
            product_id=form.cleaned_data["product"], product__is_listed=True
        )
    )
    if not variants:
        message = "That product is not in our catalog."
        return _refuse_add(request, message, status=404, product=None, next_path=next_path)
    product = variants[0].product
    chosen = form.chosen_options(len(variants[0].options))
    refused = {"product": product, "next_path": next_path, "chosen": chosen}
    if form.errors:
        return _refuse_add(request, first_error(form), status=422, **refused)
    variant = _chosen_variant(variants, chosen)
    if variant is None:
        return _refuse_add(
            request, str(CombinationNotSold(product.name, chosen)), status=422, **refused
        )
    variant.product = product
    return form, product, variant


@require_POST
def add(request):
    asked = read_add_form(request)
    if isinstance(asked, HttpResponse):
        return asked
    form, product, variant = asked
    next_path = local_path(form.cleaned_data["next"]) or ""
    quantity = form.cleaned_data["quantity"]
    try:
        outcome = services.cart_add_item(
            cart_id=ensure_cart_id(request),
            product=product,
            variant=variant,
            quantity=quantity,
            context=command_context(request),
        )
    except REFUSALS as error:
        message = said(error)
        if isinstance(error, NotEnoughStock) and error.available <= 0:
            message = f"Sorry, {variant.title} is out of stock."
        chosen = tuple(variant.options) if variant.options else None
        return _refuse_add(
            request,
            message,
            status=status_of(error),
            product=product,
            next_path=next_path,
            chosen=chosen,
        )
    messages.success(
        request, f"Added {quantity} × {variant.title} to your cart.", extra_tags="view-cart"
    )
    if request.htmx:
        return render(request, "carts/added.html", {"cart_count": outcome.state.item_count})
    if variant.options and urlsplit(next_path).path == product.get_absolute_url():
        # Without JavaScript: the page of the variant just added.
        groups = {f"option-{n}": value for n, value in enumerate(variant.options, start=1)}
        return redirect_to_next(f"{product.get_absolute_url()}?{urlencode(groups)}", product)
    return redirect_to_next(next_path, product)


def _read_line_form(request, form_class) -> tuple[Any, UUID, ProductVariant] | HttpResponse:
    """A valid form about one line of the shopper's cart, the cart and the line's variant
    (with its product; no ``variant`` posted: the product's default one); or the refusal
    to send."""
    form = form_class(request.POST)
    form.is_valid()
    for field in ("product", "variant"):
        if field in form.errors:
            return _refuse_on_cart(request, form.errors[field][0], status=422)
    cart_id = current_cart_id(request)
    product_id = form.cleaned_data["product"]
    variant = (
        ProductVariant.objects.select_related("product")
        .filter(id=form.cleaned_data.get("variant") or product_id, product_id=product_id)
        .first()
    )
    if cart_id is None or variant is None:
        return _refuse_on_cart(request, str(ItemNotInCart()), status=404)
    if form.errors:  # the quantity: shown beside the line's quantity box
        return _refuse_on_cart(request, first_error(form), status=422, line=variant.id)
    return form, cart_id, variant


def _read_cart_form(
    request, form_class, no_cart: CartError, *, coupon: bool = False
) -> tuple[Any, UUID] | HttpResponse:
    """A valid form about the shopper's cart and the cart; or the refusal to send
    (``no_cart`` when the shopper has none; ``coupon``: the error goes beside the coupon
    field)."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _refuse_on_cart(request, first_error(form), status=422, coupon=coupon)
    cart_id = current_cart_id(request)
    if cart_id is None:
        return _refuse_on_cart(request, str(no_cart), status=409)
    return form, cart_id


@require_POST
def change(request):
    asked = _read_line_form(request, ChangeQuantityForm)
    if isinstance(asked, HttpResponse):
        return asked
    form, cart_id, variant = asked
    quantity = form.cleaned_data["quantity"]
    try:
        outcome = services.cart_change_quantity(
            cart_id=cart_id,
            product=variant.product,
            variant=variant,
            quantity=quantity,
            context=command_context(request),
        )
    except REFUSALS as error:
        message = f"{variant.title}: {said(error)}"
        return _refuse_on_cart(request, message, status=status_of(error), line=variant.id)
    if quantity == 0:
        _offer_undo(request, outcome, variant.title)
        return _answer(request, cart_id, removed=variant.id)
    messages.success(request, f"{variant.title}: quantity is now {quantity}.")
    return _answer(request, cart_id, line=variant.id)


@require_POST
def remove(request):
    asked = _read_line_form(request, RemoveItemForm)
    if isinstance(asked, HttpResponse):
        return asked
    _form, cart_id, variant = asked
    try:
        outcome = services.cart_remove_item(
            cart_id=cart_id,
            product_id=variant.product_id,
            variant_id=variant.id,
            context=command_context(request),
        )
    except REFUSALS as error:
        message = f"{variant.title}: {said(error)}"
        return _refuse_on_cart(request, message, status=status_of(error))
    _offer_undo(request, outcome, variant.title)
    return _answer(request, cart_id, removed=variant.id)


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
    except REFUSALS as error:
        return _refuse_on_cart(request, said(error), status=status_of(error))
    request.session.pop(UNDO_KEY, None)
    restored = outcome.recorded[0].event
    variant = (
        ProductVariant.objects.select_related("product").filter(id=restored.variant_id).first()
    )
    name = variant.title if variant else "it"
    messages.success(request, f"Put {restored.quantity} × {name} back in your cart.")
    return _answer(request, cart_id, whole=True)


@require_POST
def apply_coupon(request):
    asked = _read_cart_form(request, CouponForm, EmptyCart(), coupon=True)
    if isinstance(asked, HttpResponse):
        return asked
    form, cart_id = asked
    now = timezone.now()
    limits = throttle.limits_for(request)
    if throttle.blocked(limits, now):
        return _refuse_on_cart(request, throttle.refusal_message(), status=429, coupon=True)
    try:
        outcome = services.cart_apply_coupon(
            cart_id=cart_id,
            code=form.cleaned_data["code"],
            now=now,
            context=command_context(request),
        )
    except REFUSALS as error:
        if isinstance(error, CouponRefused):  # an unknown, expired or used-up code
            throttle.record_failure(limits, now)
        return _refuse_on_cart(request, said(error), status=status_of(error), coupon=True)
    messages.success(request, f"Coupon {outcome.state.coupon} applied.")
    return _answer(request, cart_id)


@require_POST
def remove_coupon(request):
    cart_id = current_cart_id(request)
    if cart_id is None:
        return _refuse_on_cart(request, str(EmptyCart()), status=409)
    try:
        outcome = services.cart_remove_coupon(cart_id=cart_id, context=command_context(request))
    except REFUSALS as error:
        return _refuse_on_cart(request, said(error), status=status_of(error))
    if outcome.recorded:
        messages.success(request, f"Coupon {outcome.recorded[0].event.code} removed.")
    else:
        messages.info(request, "There is no coupon on your cart.")
    return _answer(request, cart_id)
