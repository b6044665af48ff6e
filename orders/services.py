"""Order use cases: checkout (cart, order, product and coupon streams in one transaction),
and the staff commands that move an order on.

Checkout and cancel are units of work (``shop.unitofwork``): they load the streams they
touch, decide on each, and the unit appends them all with the versions it loaded; a version
conflict on any stream runs the whole unit again against the new state. Streams are always
loaded, locked and written in the same order (cart, order, products sorted by id, coupon),
so two checkouts never wait on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError
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
from orders.models import CheckoutCommand
from shipping import services as shipping
from shipping.rates import MethodTerms, ShippingOffer
from shop.aggregates import CommandContext, Decider, Outcome
from shop.eventstore import ConcurrencyError
from shop.money import Money, TaxClass
from shop.unitofwork import Lock, UnitOfWork, execute, run

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
    variant_id: UUID
    name: str  # "Brazil Cerrado, 500 g, Filter"
    weight_grams: int  # one unit's
    quantity: int
    unit_price: Money  # the catalog price now
    added_price: Money  # the price when it went into the cart
    available: bool
    vat_rate: Decimal | None = None

    @property
    def total(self) -> Money:
        return (self.unit_price * self.quantity).rounded()

    @property
    def title(self) -> str:
        return self.name

    @property
    def price(self) -> Money:
        return self.unit_price

    @property
    def price_changed(self) -> bool:
        return self.unit_price != self.added_price


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    totals: Totals  # with the chosen method's shipping, once there is one
    country: str = ""  # where to, once known (an ISO code)
    offers: tuple[ShippingOffer, ...] = ()  # the methods serving that country, priced
    chosen: ShippingOffer | None = None

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def estimate(self) -> ShippingOffer | None:
        """The cheapest offer: the cart's shipping estimate."""
        return min(self.offers, key=lambda offer: offer.price.amount, default=None)

    def offer(self, method_id: int | None) -> ShippingOffer | None:
        return next((o for o in self.offers if o.method_id == method_id), None)

    @property
    def price_changes(self) -> list[QuoteLine]:
        return [line for line in self.lines if line.price_changed]


def _coupon_terms(code: str | None) -> tuple[Coupon | None, CouponTerms | None]:
    if not code:
        return None, None
    coupon = Coupon.objects.filter(code=code).first()
    return coupon, coupon.terms() if coupon else None


def _totals(
    lines: Iterable[tuple[int, Money, Decimal | None]],
    coupon: CouponTerms | None,
    now: datetime,
    shipping: Money | None = None,
) -> Totals:
    return cart_totals(
        lines, currency=settings.SHOP_CURRENCY, coupon=coupon, now=now, shipping=shipping
    )


def _shipping_for(
    methods: list[MethodTerms],
    method_id: int | None,
    expected: Money | None,
    *,
    goods_total: Money,
    weight_grams: int,
    country: str,
) -> domain.Shipping:
    """The chosen method's charge for these goods (the first offered when none was chosen).

    Refuses a method that does not ship there (any more), cannot carry the goods, or whose
    price is not the one the shopper was shown.
    """
    offered = [
        (method, price)
        for method in methods
        if (price := method.price_for(goods_total=goods_total, weight_grams=weight_grams))
        is not None
    ]
    if not offered:
        name = shipping.country_name(country) or "that country"
        raise domain.ShippingUnavailable(f"Sorry, we do not ship to {name}.")
    if method_id is None:
        method, price = offered[0]
    else:
        found = next(((m, p) for m, p in offered if m.id == method_id), None)
        if found is None:
            raise domain.ShippingUnavailable()
        method, price = found
    if expected is not None and expected != price:
        raise domain.ShippingPriceChanged(method.name, price)
    return domain.Shipping(
        method_id=method.id, method=method.name, price=price, estimate=method.estimate
    )


def order_quote(*, cart_id: UUID | None, country: str = "", method_id: int | None = None) -> Quote:
    """The open cart priced as checkout would price it now (from the read models): for a
    ``country``, the methods that ship there with their prices, and the chosen one's
    shipping in the totals: ``method_id``'s when it is offered, the first offered without one.
    """
    summary = (
        CartSummary.objects.filter(cart_id=cart_id, status=CartSummary.Status.OPEN).first()
        if cart_id
        else None
    )
    cart_lines = (
        list(CartLine.objects.filter(cart=summary).select_related("product", "variant"))
        if summary
        else []
    )
    rates = shipping.vat_rates(country)
    lines = tuple(
        QuoteLine(
            product_id=line.product_id,
            variant_id=line.variant_id,
            name=line.title,
            weight_grams=line.weight_grams,
            quantity=line.quantity,
            unit_price=line.variant.unit_price,
            added_price=line.added_price,
            available=line.product.is_listed,
            vat_rate=rates.get(TaxClass(line.product.tax_class)),
        )
        for line in cart_lines
    )
    _, terms = _coupon_terms(summary.coupon_code if summary else None)
    now = timezone.now()
    priced = [(line.quantity, line.unit_price, line.vat_rate) for line in lines]
    totals = _totals(priced, terms, now)
    code = shipping.country_code(country)
    if not lines or not code:
        return Quote(lines=lines, totals=totals, country=code)
    offers = tuple(
        shipping.offers(
            country=code,
            goods_total=totals.goods_total,
            weight_grams=shipping.cart_weight(lines),
        )
    )
    if method_id is None:  # the first method offered, until the shopper chooses
        chosen = offers[0] if offers else None
    else:
        chosen = next((o for o in offers if o.method_id == method_id), None)
    if chosen is not None:
        totals = _totals(priced, terms, now, chosen.price)
    return Quote(lines=lines, totals=totals, country=code, offers=offers, chosen=chosen)


# --- Checkout ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    order_id: UUID
    placed: bool  # False: this command id had placed the order already
    attempts: int


def order_checkout(
    *,
    cart_id: UUID | None,
    command_id: UUID,
    customer: domain.Customer,
    address: domain.Address,
    context: CommandContext,
    expected_total: Money | None = None,
    shipping_method: int | None = None,
    expected_shipping: Money | None = None,
) -> Checkout:
    """Check the cart out into a new order, reserving stock and redeeming its coupon.

    One transaction: ``CartCheckedOut``, ``OrderPlaced``, ``StockReserved`` on every product
    and ``CouponRedeemed``, or nothing at all. The same ``command_id`` returns the order it
    placed the first time. Raises one of ``CHECKOUT_REFUSALS``.

    The order ships by ``shipping_method`` (refused unless it ships to the address and
    charges ``expected_shipping``, when given: re-checked here, whatever the page showed);
    without one, by the first method that ships there. ``expected_total`` is the goods'
    total the shopper saw (after the discount, before shipping). VAT is charged at the
    address's country's rates for each product's tax class.
    """
    order_id = uuid.uuid4()
    # Configuration rows, not streams: read once, not on every attempt.
    methods = shipping.methods_for(address.country)
    rates = shipping.vat_rates(address.country)

    def work(uow: UnitOfWork) -> Checkout:
        done = CheckoutCommand.objects.filter(command_id=command_id).first()
        if done is not None:
            if cart_id is not None and done.cart_id != cart_id:
                raise domain.CommandIdReused()
            return Checkout(order_id=done.order_id, placed=False, attempts=uow.attempt)
        if cart_id is None:
            raise domain.NothingToCheckOut()

        now = timezone.now()
        cart = uow.load(CART, cart_id)
        cart_lines, code = cart.state.lines, cart.state.coupon
        uow.decide(cart, CheckoutCart(order_id=order_id))  # refuses empty or closed carts
        order = uow.start(ORDER, order_id)
        products = {
            product.stream_id: product
            for product in uow.load_many(PRODUCT, (line.product_id for line in cart_lines))
        }
        for product in products.values():
            if not product.state.listed or product.state.delisted:
                raise domain.ProductUnavailable(product.state.name or "A product in your cart")
        lines = tuple(
            _order_line(products[line.product_id].state, line, rates) for line in cart_lines
        )
        coupon, terms = _coupon_terms(code)
        priced = [(line.quantity, line.unit_price, line.vat_rate) for line in lines]
        goods = _totals(priced, terms, now)
        charge = _shipping_for(
            methods,
            shipping_method,
            expected_shipping,
            goods_total=goods.goods_total,
            weight_grams=shipping.cart_weight(lines),
            country=address.country,
        )
        totals = _totals(priced, terms, now, charge.price)
        if totals.coupon_applies:  # the coupon's stream refuses it when it is used up
            usage = uow.load(COUPON, coupon.stream_id)
            redeem = coupons.RedeemCoupon(
                code=coupon.code, order_id=order_id, max_redemptions=coupon.max_redemptions
            )
            uow.decide(usage, redeem)
        if expected_total is not None and expected_total != totals.goods_total:
            raise domain.TotalChanged(totals.total)

        place = domain.PlaceOrder(
            cart_id=cart_id,
            lines=lines,
            subtotal=totals.subtotal,
            discount=totals.discount,
            total=totals.total,
            coupon_code=totals.coupon_code if totals.coupon_applies else None,
            coupon_id=coupon.stream_id if totals.coupon_applies else None,
            customer=customer,
            address=address,
            placed_at=now,
            shipping=charge,
            vat=totals.vat,
        )
        uow.decide(order, place)
        for line in cart_lines:  # per variant: two variants of a product, two reservations
            reserve = product_domain.ReserveStock(
                quantity=line.quantity, order_id=order_id, variant_id=line.variant_id
            )
            uow.decide(products[line.product_id], reserve)
        try:
            CheckoutCommand.objects.create(
                command_id=command_id, cart_id=cart_id, order_id=order_id, created_at=now
            )
        except IntegrityError as error:
            # The same command id committed meanwhile: run again, and find its order.
            raise ConcurrencyError(order_id, 0) from error
        return Checkout(order_id=order_id, placed=True, attempts=uow.attempt)

    try:
        return run(work, context=context, lock=Lock.AFTER_CONFLICT, attempts=CHECKOUT_ATTEMPTS)
    except ConcurrencyError:
        raise domain.CheckoutBusy() from None


def _order_line(product: product_domain.Product, line, rates) -> domain.OrderLine:
    """The cart's line as sold: the variant's SKU, options, weight, price and VAT rate now."""
    variant = product.variant(line.variant_id)
    if variant is None:
        raise domain.ProductUnavailable(product.name)
    return domain.OrderLine(
        product_id=line.product_id,
        variant_id=variant.id,
        sku=variant.sku,
        name=product.name,
        variant_label=variant.label,
        weight_grams=variant.weight_grams,
        quantity=line.quantity,
        unit_price=variant.price,
        vat_rate=rates.get(product.tax_class),
    )


# --- Guest orders a customer claims ----------------------------------------------------------


def order_claim_for_customer(
    *, order_ids: Iterable[UUID], user_id: int, context: CommandContext
) -> list[UUID]:
    """Make the guest orders ``order_ids`` the customer's: ``OrderClaimed`` on each stream.

    Called at sign-up and log-in with the orders the browser session placed as a guest.
    One unit of work; an order the customer owns already is skipped, one another customer
    owns is left alone. Returns the orders claimed now.
    """
    claim = domain.ClaimOrder(user_id=user_id, at=timezone.now())

    def work(uow: UnitOfWork) -> list[UUID]:
        claimed = []
        for order in uow.load_many(ORDER, order_ids):
            try:
                if uow.decide(order, claim):
                    claimed.append(order.stream_id)
            except domain.OrderError:
                continue
        return claimed

    return run(work, context=context, lock=Lock.AFTER_CONFLICT)


# --- Staff commands ------------------------------------------------------------------------


def order_mark_shipped(*, order_id: UUID, context: CommandContext) -> Outcome[domain.Order]:
    return execute(ORDER, order_id, domain.MarkShipped(at=timezone.now()), context)


def order_cancel(
    *, order_id: UUID, reason: str = "", unpaid_only: bool = False, context: CommandContext
) -> domain.Order:
    """Cancel the order, and give back its stock and its coupon redemption, all at once.

    ``unpaid_only``: refused once the order is paid (the unpaid-order sweep). Money captured
    on a cancelled order is refunded by ``payments.services`` (``payment_settle_cancelled``).
    """
    now = timezone.now()

    def work(uow: UnitOfWork) -> domain.Order:
        order = uow.load(ORDER, order_id)
        placed = order.state
        uow.decide(order, domain.Cancel(at=now, reason=reason, unpaid_only=unpaid_only))
        products = {
            product.stream_id: product
            for product in uow.load_many(PRODUCT, (line.product_id for line in placed.lines))
        }
        for line in placed.lines:
            release = product_domain.ReleaseStock(
                quantity=line.quantity, order_id=order_id, variant_id=line.variant_id
            )
            uow.decide(products[line.product_id], release)
        if placed.coupon_code:
            # Orders placed before coupons had ids name the coupon by its code only.
            stream_id = placed.coupon_id or coupons.stream_id_for_code(placed.coupon_code)
            usage = uow.load(COUPON, stream_id)
            uow.decide(usage, coupons.ReleaseRedemption(code=placed.coupon_code, order_id=order_id))
        return order.state

    return run(work, context=context, lock=Lock.AFTER_CONFLICT)


def order_receive_return(
    *,
    order_id: UUID,
    return_id: UUID,
    lines: tuple[domain.LineQuantity, ...],
    context: CommandContext,
) -> domain.Order:
    """Staff received returned goods: ``ReturnReceived`` on the order and ``StockReleased``
    on each product, in one unit of work. The same ``return_id`` again records nothing."""
    now = timezone.now()

    def work(uow: UnitOfWork) -> domain.Order:
        order = uow.load(ORDER, order_id)
        if not uow.decide(order, domain.ReceiveReturn(return_id=return_id, lines=lines, at=now)):
            return order.state
        products = {
            product.stream_id: product
            for product in uow.load_many(PRODUCT, (line.product_id for line in lines))
        }
        for line in lines:
            release = product_domain.ReleaseStock(
                quantity=line.quantity, order_id=order_id, variant_id=line.variant_id
            )
            uow.decide(products[line.product_id], release)
        return order.state

    return run(work, context=context, lock=Lock.AFTER_CONFLICT)
