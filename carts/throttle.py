"""Coupon codes cannot be guessed without limit.

Every refused code counts against the shopper's session and against their address (the one
django-axes resolves, so ``SHOP_TRUSTED_PROXIES`` applies here too). Once either has had its
limit of refusals within the window, every coupon attempt from it is refused with 429 until
the window, which starts at the first refusal, has passed. A right code is never delayed:
before the limit it is applied at once, like any other.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from carts.models import CouponFailures

TOO_MANY = "Too many coupon codes did not work. Please wait {minutes} minutes and try again."


def limits_for(request) -> dict[str, int]:
    """The counters this request's coupon attempts count against, with their limits."""
    limits = {}
    if request.session.session_key:
        digest = hashlib.sha256(request.session.session_key.encode()).hexdigest()
        limits[f"session:{digest}"] = settings.SHOP_COUPON_FAILURES_PER_SESSION
    address = get_client_ip_address(request)
    if address:
        limits[f"address:{address}"[:100]] = settings.SHOP_COUPON_FAILURES_PER_ADDRESS
    return limits


def blocked(limits: dict[str, int], now: datetime) -> bool:
    over = Q(pk__in=[])
    for key, limit in limits.items():
        over |= Q(key=key, failures__gte=limit)
    since = now - settings.SHOP_COUPON_FAILURE_WINDOW
    return CouponFailures.objects.filter(over, since__gt=since).exists()


def record_failure(limits: dict[str, int], now: datetime) -> None:
    since = now - settings.SHOP_COUPON_FAILURE_WINDOW
    for key in limits:
        counted = CouponFailures.objects.filter(key=key, since__gt=since).update(
            failures=F("failures") + 1
        )
        if counted:
            continue
        try:
            with transaction.atomic():  # a new window: the first refusal, or after a pause
                CouponFailures.objects.update_or_create(
                    key=key, defaults={"since": now, "failures": 1}
                )
        except IntegrityError:  # another request opened the window at the same moment
            CouponFailures.objects.filter(key=key).update(failures=F("failures") + 1)


def refusal_message() -> str:
    minutes = int(settings.SHOP_COUPON_FAILURE_WINDOW.total_seconds() // 60)
    return TOO_MANY.format(minutes=minutes)
