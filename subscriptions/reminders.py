"""Abandoned-cart reminders: one email for a customer's cart left alone for a while.

A cart qualifies when it is a logged-in customer's open cart (``CustomerCart``: guests have
no address to write to), holds items, has had no event for ``SHOP_CART_REMINDER_AFTER``
(10 hours, Shopify's default), and its customer agreed to reminders (``EmailConsent``) and
has an email address. Checking out closes the cart (and drops the ``CustomerCart`` row),
so none follows a checkout. The email's key is ``cart-reminder:<cart id>``: one per cart,
ever. The worker's ``cart-reminders`` job looks once a minute. A reminder still waiting to
be sent (its retries run for hours) is dropped, unsent, once its cart is checked out or
emptied or its customer withdraws consent (``still_wanted``, asked just before sending).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from carts.models import CartSummary, CustomerCart
from subscriptions.emails import enqueue
from subscriptions.models import Email

KIND = "cart-reminder"


def enqueue_due(*, now: datetime | None = None) -> int:
    """Write a reminder for every cart that qualifies now; return how many."""
    now = now or timezone.now()
    cutoff = now - settings.SHOP_CART_REMINDER_AFTER
    owners = dict(
        CustomerCart.objects.filter(user__email_consent__cart_reminders=True)
        .exclude(user__email="")
        .values_list("cart_id", "user__email")
    )
    if not owners:
        return 0
    carts = CartSummary.objects.filter(
        cart_id__in=owners,
        status=CartSummary.Status.OPEN,
        item_count__gt=0,
        updated_at__lte=cutoff,
    ).values_list("cart_id", "item_count")
    done = set(
        Email.objects.filter(key__in=[f"{KIND}:{cart_id}" for cart_id in owners]).values_list(
            "key", flat=True
        )
    )
    written = 0
    for cart_id, item_count in carts:
        key = f"{KIND}:{cart_id}"
        if key in done:
            continue
        body = render_to_string(
            "subscriptions/cart-reminder.txt",
            {
                "item_count": item_count,
                "cart_url": settings.SHOP_BASE_URL.rstrip("/") + reverse("carts:detail"),
                "settings_url": settings.SHOP_BASE_URL.rstrip("/")
                + reverse("subscriptions:email_settings"),
            },
        )
        with transaction.atomic():
            enqueue(
                key=key,
                kind=KIND,
                to=owners[cart_id],
                subject="You left something in your Bean & Leaf cart",
                body=body,
            )
        written += 1
    return written


def still_wanted(email: Email) -> bool:
    """Whether the reminder's cart is still open with items, and its customer still agrees."""
    cart_id = email.key.removeprefix(f"{KIND}:")
    return (
        CartSummary.objects.filter(
            cart_id=cart_id, status=CartSummary.Status.OPEN, item_count__gt=0
        ).exists()
        and CustomerCart.objects.filter(
            cart_id=cart_id, user__email_consent__cart_reminders=True
        ).exists()
    )
