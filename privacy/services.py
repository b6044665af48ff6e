"""A customer's rights over their personal data: erasure, export, and the retention period.

Erasure runs in one transaction: the data subject's ``PersonalDataErased`` event (through
the unit of work), then ``shop.personal.erase`` (the keys, the read models' personal
columns, snapshots, recent states, what apps registered), then what only this app knows of:
the user row, their sessions and their log-in records. The orders stay, with their amounts,
lines and dates, for the accounts; their personal fields read "[erased]" from then on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carts.models import CartLine, CartSummary, CouponFailures, CustomerCart
from orders.models import OrderSummary
from privacy.domain import (
    STREAM_TYPE,
    AlreadyErased,
    DataSubject,
    ErasePersonalData,
    PrivacyError,
    Reason,
    decide,
    evolve,
    subject_stream,
)
from shop import eventstore, personal
from shop.aggregates import CommandContext, Decider
from shop.registry import ERASED
from shop.timeline import plain
from shop.unitofwork import UnitOfWork, run

DATA_SUBJECT = Decider(STREAM_TYPE, DataSubject(), decide, evolve)
LOGIN_RECORDS_KEPT = timedelta(days=30)


class NoSuchPerson(PrivacyError):
    """Nothing of that person is left to erase or export (unknown, or erased already)."""

    def __init__(self) -> None:
        super().__init__("No customer account and no guest order has that email or user name.")


NothingToErase = NoSuchPerson


class WrongPassword(PrivacyError):
    def __init__(self) -> None:
        super().__init__("That is not your password. Your account has not been deleted.")


@dataclass(frozen=True, slots=True)
class Erased:
    """What one request erased: for the answer shown to the person who asked."""

    customers: int = 0
    guest_orders: int = 0
    orders: int = 0


def _erase_subject(
    *,
    subject: str,
    keys: Iterable[str],
    streams: Iterable[UUID],
    reason: Reason,
    context: CommandContext,
    user_id: int | None = None,
    emails: Iterable[str] = (),
    usernames: Iterable[str] = (),
) -> None:
    """The subject's event, then every copy of its data: in the caller's transaction."""
    keys, streams = tuple(dict.fromkeys(keys)), tuple(sorted(set(streams)))

    def work(uow: UnitOfWork) -> None:
        stream = uow.load(DATA_SUBJECT, subject_stream(subject))
        uow.decide(
            stream,
            ErasePersonalData(
                subject=subject, keys=keys, streams=streams, reason=reason, at=timezone.now()
            ),
        )

    run(work, context=context)
    personal.erase(
        personal.Erasure(
            subjects=keys,
            streams=streams,
            user_id=user_id,
            emails=tuple(e for e in emails if e and e != ERASED),
            usernames=tuple(usernames),
        )
    )


def _forget_logins(names: Iterable[str]) -> None:
    names = [n for n in names if n]
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__in=names).delete()


def _forget_sessions(user_id: int) -> None:
    """Delete every session logged in as the user (sessions are stored in the database)."""
    doomed = [
        session.session_key
        for session in Session.objects.iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id)
    ]
    Session.objects.filter(session_key__in=doomed).delete()


def customer_erase(*, user, context: CommandContext, reason: Reason, password: str | None = None):
    """Erase a customer: their account, and the personal data of every order of theirs.

    With ``password`` (the customer's own "Delete my account") it must be theirs.
    """
    if password is not None and not user.check_password(password):
        raise WrongPassword()
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user.pk).first()
        if user is None:
            raise AlreadyErased()
        orders = list(
            OrderSummary.objects.filter(customer_id=user.pk).values_list(
                "order_id", "cart_id", "email"
            )
        )
        carts = {cart for _, cart, _ in orders}
        carts.update(CustomerCart.objects.filter(user=user).values_list("cart_id", flat=True))
        emails = {user.email, *(email for _, _, email in orders)}
        _erase_subject(
            subject=f"user:{user.pk}",
            # The customer's own key, and those of guest orders they claimed (each has its own).
            keys=[f"user:{user.pk}", *(f"order:{order}" for order, _, _ in orders)],
            streams=[*(order for order, _, _ in orders), *carts],
            reason=reason,
            context=context,
            user_id=user.pk,
            emails=emails,
            usernames=[user.get_username()],
        )
        _forget_logins([user.get_username(), *emails])
        _forget_sessions(user.pk)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).delete()
        user.delete()  # with it: the email consent, the open cart's row, admin log entries
    return Erased(customers=1, orders=len(orders))


def guest_order_erase(*, order: OrderSummary, reason: Reason, context: CommandContext) -> None:
    subject = f"order:{order.order_id}"
    _erase_subject(
        subject=subject,
        keys=[subject],
        streams=[order.order_id, order.cart_id],
        reason=reason,
        context=context,
        emails=[order.email],
    )


def erase_by_staff(*, identifier: str, context: CommandContext) -> Erased:
    """Staff's "Erase personal data": a customer (user name or email) and/or a guest's email.

    Refused with ``NothingToErase`` when nothing of that person is left.
    """
    identifier = identifier.strip()
    if not identifier:
        raise NothingToErase()
    User = get_user_model()
    customers = list(
        User.objects.filter(Q(username=identifier) | Q(email__iexact=identifier)).order_by("pk")
    )
    with transaction.atomic():
        guests = list(
            OrderSummary.objects.filter(customer__isnull=True, email__iexact=identifier)
            .exclude(email=ERASED)
            .order_by("placed_at")
        )
        if not customers and not guests:
            raise NothingToErase()
        orders = 0
        for customer in customers:
            orders += customer_erase(user=customer, context=context, reason=Reason.STAFF).orders
        for order in guests:
            guest_order_erase(order=order, reason=Reason.STAFF, context=context)
    return Erased(customers=len(customers), guest_orders=len(guests), orders=orders + len(guests))


# --- Retention --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retention:
    guest_orders: int
    sessions: int
    login_records: int


def retention_apply(*, now: datetime | None = None, context: CommandContext) -> Retention:
    """Erase guest orders past ``SHOP_GUEST_ORDER_RETENTION``, drop expired sessions and
    log-in (and coupon) throttling records older than 30 days. Safe to run any time."""
    now = now or timezone.now()
    cutoff = now - settings.SHOP_GUEST_ORDER_RETENTION
    guest_orders = 0
    old = OrderSummary.objects.filter(customer__isnull=True, placed_at__lt=cutoff).exclude(
        email=ERASED
    )
    for order in old.order_by("placed_at").iterator():
        with transaction.atomic():
            try:
                guest_order_erase(order=order, reason=Reason.RETENTION, context=context)
            except AlreadyErased:
                continue
        guest_orders += 1
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    since = now - LOGIN_RECORDS_KEPT
    records = 0
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        records += model.objects.filter(attempt_time__lt=since).delete()[0]
    records += CouponFailures.objects.filter(since__lt=since).delete()[0]
    return Retention(guest_orders=guest_orders, sessions=sessions, login_records=records)


# --- Export -----------------------------------------------------------------------------------


def _row(obj, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _events(stream_ids: Iterable[UUID]) -> list[dict[str, Any]]:
    with personal.reading():
        events = [
            {
                "position": recorded.position,
                "recorded_at": recorded.recorded_at,
                "stream_type": recorded.stream_type,
                "stream_id": recorded.stream_id,
                "version": recorded.version,
                "event_type": recorded.event_type,
                "data": plain(recorded.event),
                "metadata": dict(recorded.metadata),
            }
            for stream_id in stream_ids
            for recorded in eventstore.load(stream_id)
        ]
    return sorted(events, key=lambda e: e["position"])


ORDER_FIELDS = (
    "order_id",
    "status",
    "email",
    "full_name",
    "address",
    "city",
    "postal_code",
    "country",
    "coupon_code",
    "subtotal",
    "discount",
    "total",
    "currency",
    "placed_at",
    "updated_at",
)


def _orders(orders: Iterable[OrderSummary]) -> list[dict[str, Any]]:
    return [
        {
            "number": order.number,
            **_row(order, ORDER_FIELDS),
            "lines": [
                _row(line, ("product_id", "name", "quantity", "unit_price", "currency"))
                for line in order.lines.all()
            ],
        }
        for order in orders
    ]


def customer_export(*, user) -> dict[str, Any]:
    """Everything the shop holds about a customer, decrypted: one JSON-ready document."""
    orders = list(
        OrderSummary.objects.filter(customer_id=user.pk)
        .prefetch_related("lines")
        .order_by("placed_at")
    )
    cart_ids = {order.cart_id for order in orders}
    cart_ids.update(CustomerCart.objects.filter(user=user).values_list("cart_id", flat=True))
    carts = list(CartSummary.objects.filter(cart_id__in=cart_ids).order_by("created_at"))
    lines: dict[UUID, list] = {}
    for line in CartLine.objects.filter(cart_id__in=cart_ids).order_by("slot"):
        lines.setdefault(line.cart_id, []).append(
            _row(line, ("product_id", "quantity", "unit_price", "currency"))
        )
    consent = getattr(user, "email_consent", None)
    profile = ("username", "email", "first_name", "last_name", "date_joined", "last_login")
    cart_fields = ("cart_id", "status", "item_count", "coupon_code", "order_id")
    return {
        "exported_at": timezone.now(),
        "profile": {
            **_row(user, profile),
            "cart_reminders": bool(consent and consent.cart_reminders),
        },
        "orders": _orders(orders),
        "carts": [
            {
                **_row(cart, (*cart_fields, "created_at", "updated_at")),
                "lines": lines.get(cart.cart_id, []),
            }
            for cart in carts
        ],
        "events": _events([*(o.order_id for o in orders), *(c.cart_id for c in carts)]),
    }


def export_by_staff(*, identifier: str) -> dict[str, Any]:
    """What staff send to answer an access request: every customer with that user name or
    email, and the guest orders placed with that email, decrypted."""
    identifier = identifier.strip()
    User = get_user_model()
    customers = list(
        User.objects.filter(Q(username=identifier) | Q(email__iexact=identifier)).order_by("pk")
    )
    guests = list(
        OrderSummary.objects.filter(customer__isnull=True, email__iexact=identifier)
        .exclude(email=ERASED)
        .prefetch_related("lines")
        .order_by("placed_at")
    )
    if not identifier or not (customers or guests):
        raise NoSuchPerson()
    return {
        "exported_at": timezone.now(),
        "customers": [customer_export(user=user) for user in customers],
        "guest_orders": _orders(guests),
        "guest_events": _events([o.order_id for o in guests]),
    }


__all__ = [
    "AlreadyErased",
    "NoSuchPerson",
    "NothingToErase",
    "PrivacyError",
    "WrongPassword",
    "customer_erase",
    "customer_export",
    "erase_by_staff",
    "export_by_staff",
    "guest_order_erase",
    "retention_apply",
]
