from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from carts import services
from carts.domain import CartError
from carts.forms import AddToCartForm, first_error
from carts.models import CartLine, CartSummary
from carts.pricing import cart_totals
from carts.session import current_cart_id, ensure_cart_id
from catalog.models import Product
from shop.web import command_context, refuse, safe_next


@require_POST
def add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        return refuse(request, first_error(form), status=422)
    product = Product.objects.filter(id=form.cleaned_data["product"], is_listed=True).first()
    if product is None:
        return refuse(request, "That product is not in our catalog.", status=404)
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


@require_GET
def detail(request):
    cart_id = current_cart_id(request)
    summary = (
        CartSummary.objects.filter(cart_id=cart_id, status=CartSummary.Status.OPEN).first()
        if cart_id
        else None
    )
    lines = list(CartLine.objects.filter(cart=summary).select_related("product")) if summary else []
    totals = cart_totals(
        ((line.quantity, line.product.unit_price) for line in lines),
        currency=lines[0].product.currency if lines else Product.shop_currency(),
    )
    context = {"lines": lines, "totals": totals, "cart_count": summary.item_count if summary else 0}
    return render(request, "carts/cart_detail.html", context)
