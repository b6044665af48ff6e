"""The baseline: add-to-cart as a CRUD shop does it, rendering the same partial."""

import uuid

from django.contrib import messages
from django.db import transaction
from django.db.models import F, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from benchmarks.crud.models import BasketLine
from carts.views import read_add_form

SESSION_KEY = "crud_basket_id"


@require_POST
def add(request):
    asked = read_add_form(request)  # the same checks as the shop's add-to-cart
    if isinstance(asked, HttpResponse):
        return asked
    # The same variant lookup as the shop's; the baseline keeps its line per product (a
    # row keyed by the variant would cost the same statements).
    form, product, _variant = asked
    basket_id = request.session.get(SESSION_KEY)
    if basket_id is None:
        basket_id = request.session[SESSION_KEY] = str(uuid.uuid4())
    quantity = form.cleaned_data["quantity"]
    with transaction.atomic():
        updated = BasketLine.objects.filter(basket_id=basket_id, product=product).update(
            quantity=F("quantity") + quantity
        )
        if not updated:
            BasketLine.objects.create(basket_id=basket_id, product=product, quantity=quantity)
    count = BasketLine.objects.filter(basket_id=basket_id).aggregate(n=Sum("quantity"))["n"]
    messages.success(request, f"Added {quantity} × {product.name} to your cart.")
    return render(request, "carts/added.html", {"cart_count": count})
