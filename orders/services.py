"""Order use cases: checkout (cart, order, product and coupon streams in one transaction),
and the staff commands that move an order on.

Checkout loads every stream it touches, decides on each, and appends with the version it
loaded, all inside one ``retrying`` unit: a version conflict on any stream rolls the whole
attempt back and runs it again against the new state. Streams are always written in the
same order (cart, order, products sorted by id, coupon) so two checkouts never wait on each
other in opposite orders.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from carts import coupons
from carts.domain import CartError, CheckoutCart
from carts.models import CartLine, CartSummary, Coupon
from carts.pricing import CouponTerms, Totals, cart_totals
from carts.services import CART, COUPON
from catalog import domain as product_domain
from catalog.domain import ProductError
from catalog.services import PRODUCT
from orders import domain
from orders.models import CheckoutCommand, OrderSummary
from shop import eventstore
from shop.aggregates import CommandContext, Decider, Outcome, execute, load_state, retrying
from shop.eventstore import ConcurrencyError
from shop.money import Money

ORDER = Decider(
    stream_type="order",
    initial_state=domain.INITIAL,
    decide=domain.decide,
    evolve=domain.evolve,
)

# Checkout touches streams many shoppers share (a popular product, a coupon). Each lost
# race means someone else's checkout committed, so a checkout that keeps losing is making
# progress for others; it gets more attempts than a single-stream command, with jitter.
CHECKOUT_ATTEMPTS = 30

# Everything checkout refuses with a message fit for the shopper.
CHECKOUT_REFUSALS = (CartError, ProductError, coupons.CouponUsedUp, domain.OrderError)


# --- Quote: what the checkout page shows ---------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteLine:
    product_id: UUID
    name: str
    quantity: int
    unit_price: Money  # the catalog price now
    added_price: Money  # the price when it went into the cart
    available: bool

    @property
    def total(self) -> Money:
        return (self.unit_price * self.quantity).rounded()

    @property
    def price(self) -> Money:
        return self.unit_price

    @property
    def price_changed(self) -> bool:
        return self.unit_price != self.added_price


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    totals: Totals

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def price_changes(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.price_changed]


def _coupon_terms(code: str | None) -> tuple[Coupon | None, CouponTerms | None]:
    if not code:
        return None, None
    coupon = Coupon.objects.filter(code=code).first()
    return coupon, coupon.terms() if coupon else None


def _totals(
    lines: Iterable[tuple[int, Money]], coupon: CouponTerms | None, now: datetime
) -> Totals:
    return cart_totals(lines, currency=settings.SHOP_CURRENCY, coupon=coupon, now=now)


def order_quote(*, cart_id: UUID | None) -> Quote:
    """The open cart priced as checkout would price it now (from the read models)."""
    summary = (
        CartSummary.objects.filter(cart_id=cart_id, status=CartSummary.Status.OPEN).first()
        if cart_id
        else None
    )
    cart_lines = (
        list(CartLine.objects.filter(cart=summary).select_related("product")) if summary else []
    )
    lines = tuple(
        QuoteLine(
            product_id=line.product_id,
            name=line.product.name,
            quantity=line.quantity,
            unit_price=line.product.unit_price,
            added_price=line.added_price,
            available=line.product.is_listed,
        )
        for line in cart_lines
    )
    _, terms = _coupon_terms(summary.coupon_code if summary else None)
    totals = _totals(((line.quantity, line.unit_price) for line in lines), terms, timezone.now())
    return Quote(lines=lines, totals=totals)


# --- Checkout ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    order_id: UUID
    placed: bool  # False: this command id had placed the order already
    attempts: int


def _append(decider: Decider, stream_id: UUID, events: list, version: int, meta: dict) -> None:
    eventstore.append(
        stream_type=decider.stream_type,
        stream_id=stream_id,
        events=events,
        expected_version=version,
        metadata=meta,
    )


def order_checkout(
    *,
    cart_id: UUID | None,
    command_id: UUID,
    customer: domain.Customer,
    address: domain.Address,
    context: CommandContext,
    expected_total: Money | None = None,
) -> Checkout:
    """Check the cart out into a new order, reserving stock and redeeming its coupon.

    One transaction: ``CartCheckedOut``, ``OrderPlaced``, ``StockReserved`` on every product
    and ``CouponRedeemed``, or nothing at all. The same ``command_id`` returns the order it
    placed the first time. Raises one of ``CHECKOUT_REFUSALS``.
    """
    order_id = uuid.uuid4()
    attempts = 0

    def work() -> Checkout:
        nonlocal attempts
        attempts += 1

        done = CheckoutCommand.objects.filter(command_id=command_id).first()
        if done is not None:
            if cart_id is not None and done.cart_id != cart_id:
                raise domain.CommandIdReused()
            return Checkout(order_id=done.order_id, placed=False, attempts=attempts)
        if cart_id is None:
            raise domain.NothingToCheckOut()

        now = timezone.now()
        meta = context.metadata()
        cart = load_state(CART, cart_id)
        cart_events = CART.decide(CheckoutCart(order_id=order_id), cart.state)

        product_ids = sorted({line.product_id for line in cart.state.lines})
        if attempts > 1:  # lost a race: queue behind the other checkouts of these products
            eventstore.lock_streams(product_ids)
        products = {product_id: load_state(PRODUCT, product_id) for product_id in product_ids}
        for product_id in product_ids:
            product = products[product_id].state
            if not product.listed or product.delisted:
                raise domain.ProductUnavailable(product.name or "A product in your cart")
        lines = tuple(
            domain.OrderLine(
                product_id=line.product_id,
                name=products[line.product_id].state.name,
                quantity=line.quantity,
                unit_price=products[line.product_id].state.price,
            )
            for line in cart.state.lines
        )
        coupon, terms = _coupon_terms(cart.state.coupon)
        totals = _totals(((line.quantity, line.unit_price) for line in lines), terms, now)
        # A used-up coupon stops the checkout; one that no longer applies for another reason
        # (expired, below its minimum) gives no discount, as the checkout page said.
        if terms is not None and terms.redemptions_left is not None and terms.redemptions_left <= 0:
            raise coupons.CouponUsedUp(terms.code)
        if expected_total is not None and expected_total != totals.total:
            raise domain.TotalChanged(totals.total)

        _append(CART, cart_id, cart_events, cart.version, meta)
        place = domain.PlaceOrder(
            cart_id=cart_id,
            lines=lines,
            subtotal=totals.subtotal,
            discount=totals.discount,
            total=totals.total,
            coupon_code=totals.coupon_code if totals.coupon_applies else None,
            customer=customer,
            address=address,
            placed_at=now,
        )
        _append(ORDER, order_id, ORDER.decide(place, domain.INITIAL), 0, meta)
        for product_id in product_ids:  # sorted: no two checkouts wait on each other crosswise
            loaded = products[product_id]
            quantity = cart.state.quantity_of(product_id)
            reserve = product_domain.ReserveStock(quantity=quantity, order_id=order_id)
            reserved = PRODUCT.decide(reserve, loaded.state)
            _append(PRODUCT, product_id, reserved, loaded.version, meta)
        if totals.coupon_applies:
            stream_id = coupons.coupon_stream_id(coupon.code)
            usage = load_state(COUPON, stream_id)
            redeem = coupons.RedeemCoupon(
                code=coupon.code, order_id=order_id, max_redemptions=coupon.max_redemptions
            )
            _append(COUPON, stream_id, COUPON.decide(redeem, usage.state), usage.version, meta)
        try:
            CheckoutCommand.objects.create(
                command_id=command_id, cart_id=cart_id, order_id=order_id, created_at=now
            )
        except IntegrityError as error:
            # The same command id committed meanwhile: run again, and find its order.
            raise ConcurrencyError(order_id, 0) from error
        transaction.on_commit(
            functools.partial(order_send_confirmation, order_id=order_id), robust=True
        )
        return Checkout(order_id=order_id, placed=True, attempts=attempts)

    try:
        return retrying(work, attempts=CHECKOUT_ATTEMPTS)
    except ConcurrencyError:
        raise domain.CheckoutBusy() from None


def order_send_confirmation(*, order_id: UUID) -> None:
    """Email the customer their order (called after the checkout commits)."""
    order = OrderSummary.objects.filter(order_id=order_id).first()
    if order is None:
        return
    context = {"order": order, "lines": list(order.lines.all())}
    send_mail(
        subject=f"Your Bean & Leaf order {order.number}",
        message=render_to_string("orders/confirmation_email.txt", context),
        from_email=None,
        recipient_list=[order.email],
    )


# --- Guest orders a customer claims ----------------------------------------------------------


def order_claim_for_customer(
    *, order_ids: Iterable[UUID], user_id: int, context: CommandContext
) -> list[UUID]:
    """Make the guest orders ``order_ids`` the customer's: ``OrderClaimed`` on each stream.

    Called at sign-up and log-in with the orders the browser session placed as a guest.
    One transaction; an order the customer owns already is skipped, one another customer
    owns is left alone. Returns the orders claimed now.
    """
    claimed = []
    with transaction.atomic():
        for order_id in sorted(order_ids):
            claim = domain.ClaimOrder(user_id=user_id, at=timezone.now())
            try:
                outcome = execute(ORDER, order_id, claim, context)
            except domain.OrderError:
                continue
            if outcome.recorded:
                claimed.append(order_id)
    return claimed


# --- Staff commands ------------------------------------------------------------------------


def order_mark_paid(*, order_id: UUID, context: CommandContext) -> Outcome[domain.Order]:
    return execute(ORDER, order_id, domain.MarkPaid(at=timezone.now()), context)


def order_mark_shipped(*, order_id: UUID, context: CommandContext) -> Outcome[domain.Order]:
    return execute(ORDER, order_id, domain.MarkShipped(at=timezone.now()), context)


def order_cancel(*, order_id: UUID, reason: str = "", context: CommandContext) -> domain.Order:
    """Cancel the order, and give back its stock and its coupon redemption, all at once."""
    now = timezone.now()

    def work() -> domain.Order:
        meta = context.metadata()
        loaded = load_state(ORDER, order_id)
        cancelled = ORDER.decide(domain.Cancel(at=now, reason=reason), loaded.state)
        _append(ORDER, order_id, cancelled, loaded.version, meta)
        for line in sorted(loaded.state.lines, key=lambda line: line.product_id):
            product = load_state(PRODUCT, line.product_id)
            release = product_domain.ReleaseStock(quantity=line.quantity, order_id=order_id)
            _append(
                PRODUCT,
                line.product_id,
                PRODUCT.decide(release, product.state),
                product.version,
                meta,
            )
        code = loaded.state.coupon_code
        if code:
            stream_id = coupons.coupon_stream_id(code)
            usage = load_state(COUPON, stream_id)
            release = coupons.ReleaseRedemption(code=code, order_id=order_id)
            _append(COUPON, stream_id, COUPON.decide(release, usage.state), usage.version, meta)
        return ORDER.fold(loaded.state, cancelled)

    return retrying(work)
