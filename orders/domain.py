"""The order aggregate: commands, events, state, decide and evolve. Pure Python, no Django.

An order is placed once (at checkout, together with the cart, stock and coupon streams)
and then waits for its payment: the shopper's card is authorized (``PaymentAuthorized``)
or declined (``PaymentFailed``), and the authorized payment is captured
(``PaymentCaptured``), which makes the order paid (``OrderPaid``). Staff ship it, refund
it (``RefundRequested`` reserves the amount before the provider is asked, then
``PaymentRefunded``, or ``RefundFailed`` gives it back) and take returned goods back
(``ReturnReceived``). An order left unpaid is cancelled; a payment captured after that is
refunded. A guest's order is claimed by the customer who signs up or logs in from the
browser session that placed it. The state holds what those commands need: the status,
the customer, the lines and coupon a cancellation gives back, and the money: the total to
charge, what was captured and refunded (by line too) and what is being refunded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shop.money import Money, VatLine
from shop.registry import Personal

# --- Values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLine:
    """One variant of a product, as it was sold (``OrderPlaced`` v2 names the variant; a
    v1 line is the product's default variant: its id, no SKU or label, 0 g)."""

    product_id: UUID
    variant_id: UUID
    sku: str
    name: str  # the product's name
    variant_label: str  # its option values: "500 g, Filter" ("" without options)
    weight_grams: int  # one unit's
    quantity: int
    unit_price: Money  # the catalog price at checkout, VAT included
    vat_rate: Decimal | None = None  # percent; None: placed before orders recorded VAT

    @property
    def total(self) -> Money:
        return (self.unit_price * self.quantity).rounded()

    @property
    def title(self) -> str:
        return f"{self.name}, {self.variant_label}" if self.variant_label else self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    email: str
    user_id: int | None = None  # None: a guest
    actor: str = ""  # "user:<id>" or "guest:<session shopper id>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Shipping:
    """The shipping method an order chose, and what it charged (VAT included)."""

    method_id: int
    method: str  # its name then
    price: Money
    estimate: str = ""  # the delivery estimate shown then


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    full_name: str
    address: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LineQuantity:
    """Some units of one of the order's lines (what a refund or a return covers). A line is
    its variant (``variant_id``; a product without options: its one variant, whose id is
    the product's); ``product_id`` names the stream its stock comes back to."""

    product_id: UUID
    variant_id: UUID
    quantity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRefund:
    """A refund the order has promised and the provider has not yet confirmed."""

    refund_id: UUID
    amount: Money
    lines: tuple[LineQuantity, ...] = ()
    reason: str = ""


# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceOrder:
    cart_id: UUID
    lines: tuple[OrderLine, ...]
    subtotal: Money
    discount: Money
    total: Money
    coupon_code: str | None
    coupon_id: UUID | None = None  # the coupon's stream
    customer: Customer
    address: Address
    placed_at: datetime
    shipping: Shipping | None = None
    vat: tuple[VatLine, ...] = ()  # the VAT included, per rate


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizePayment:
    """The provider authorized ``amount`` on the shopper's card (``reference``: its id)."""

    payment_id: UUID
    amount: Money
    card_last4: str
    reference: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FailPayment:
    """The provider declined the card, or could not capture an authorization."""

    payment_id: UUID
    reason: str  # a code: declined, insufficient_funds, incorrect_cvc, capture_failed
    card_last4: str = ""
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturePayment:
    """The provider captured the authorized payment: the money is the shop's."""

    payment_id: UUID
    amount: Money
    reference: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRefund:
    """Give ``amount`` back (``lines``: the units it refunds, if any), before asking the
    provider: the amount is reserved, so two refunds at once never exceed the capture."""

    refund_id: UUID
    amount: Money
    lines: tuple[LineQuantity, ...] = ()
    reason: str = ""
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CompleteRefund:
    """The provider refunded a requested refund."""

    refund_id: UUID
    reference: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FailRefund:
    """The provider refused a requested refund: its amount is refundable again."""

    refund_id: UUID
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveReturn:
    """Staff received returned goods (their units go back to stock, on the products)."""

    return_id: UUID
    lines: tuple[LineQuantity, ...]
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkShipped:
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel:
    at: datetime
    reason: str = ""
    unpaid_only: bool = False  # the unpaid-order sweep: refused once the order is paid


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOrder:
    """A customer takes a guest order of theirs into their account (at sign-up or log-in)."""

    user_id: int
    at: datetime


type Command = (
    PlaceOrder
    | AuthorizePayment
    | FailPayment
    | CapturePayment
    | MarkShipped
    | Cancel
    | ClaimOrder
    | RequestRefund
    | CompleteRefund
    | FailRefund
    | ReceiveReturn
)

# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPlaced:
    """Schema version 2 named each line's variant; version 3 added ``shipping`` and ``vat``
    (and each line's ``vat_rate``): every amount the order charged. Older orders read as
    the default variant, no shipping and no VAT recorded (``orders/upcasters.py``).
    """

    cart_id: UUID
    lines: tuple[OrderLine, ...]
    subtotal: Money
    discount: Money
    total: Money  # subtotal − discount + shipping
    currency: str
    coupon_code: str | None
    coupon_id: UUID | None = None  # the coupon's stream (absent from orders placed before)
    customer: Customer
    address: Address
    placed_at: datetime
    shipping: Shipping | None = None  # None: placed before orders had shipping
    vat: tuple[VatLine, ...] = ()  # per rate; (): not recorded (before version 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPaid:
    paid_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderShipped:
    shipped_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled:
    cancelled_at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderClaimed:
    """A guest order now belongs to the customer ``user_id``."""

    user_id: int
    claimed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentAuthorized:
    """The card was authorized for ``amount``; only its last four digits are kept."""

    payment_id: UUID
    amount: Money
    card_last4: str
    reference: str  # the provider's id of the authorization
    authorized_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentFailed:
    payment_id: UUID
    reason: str  # declined, insufficient_funds, incorrect_cvc, capture_failed
    card_last4: str = ""
    failed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCaptured:
    """The money is the shop's. Followed by ``OrderPaid``, unless the order was cancelled
    meanwhile (then a refund follows)."""

    payment_id: UUID
    amount: Money
    reference: str  # the provider's id of the capture
    captured_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundRequested:
    refund_id: UUID
    amount: Money
    lines: tuple[LineQuantity, ...] = ()
    reason: str = ""
    requested_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRefunded:
    """The provider gave ``amount`` back (the refund ``refund_id`` requested)."""

    refund_id: UUID
    amount: Money
    lines: tuple[LineQuantity, ...] = ()
    reason: str = ""
    reference: str  # the provider's id of the refund
    refunded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundFailed:
    refund_id: UUID
    amount: Money
    reason: str
    failed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnReceived:
    """Returned goods arrived; the same unit of work releases their stock."""

    return_id: UUID
    lines: tuple[LineQuantity, ...]
    received_at: datetime


EVENTS = (
    OrderPlaced,
    OrderPaid,
    OrderShipped,
    OrderCancelled,
    OrderClaimed,
    PaymentAuthorized,
    PaymentFailed,
    PaymentCaptured,
    RefundRequested,
    PaymentRefunded,
    RefundFailed,
    ReturnReceived,
)

SCHEMA_VERSIONS = {OrderPlaced: 3}  # v2: lines name their variant; v3: shipping and VAT

# Personal data (stored encrypted with its subject's key; see shop/personal.py): whose it
# is, and which fields. A customer's orders share the customer's key; a guest's order has
# its own (the subject is the order stream). The country stays readable after an erasure:
# alone it names nobody, and the accounts (VAT) need it.


def _customer(event: OrderPlaced) -> str | None:
    return f"user:{event.customer.user_id}" if event.customer.user_id else None


PERSONAL = {
    OrderPlaced: Personal(
        fields=(
            "customer.email",
            "address.full_name",
            "address.address",
            "address.city",
            "address.postal_code",
        ),
        subject=_customer,
    ),
}
type Event = (
    OrderPlaced
    | OrderPaid
    | OrderShipped
    | OrderCancelled
    | OrderClaimed
    | PaymentAuthorized
    | PaymentFailed
    | PaymentCaptured
    | RefundRequested
    | PaymentRefunded
    | RefundFailed
    | ReturnReceived
)

# --- State ---------------------------------------------------------------------------------


class Status(StrEnum):
    NEW = "new"  # nothing placed on this stream yet
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Order:
    status: Status = Status.NEW
    lines: tuple[OrderLine, ...] = ()
    coupon_code: str | None = None
    coupon_id: UUID | None = None
    customer_id: int | None = None  # None: a guest's order, nobody has claimed it
    total: Money | None = None  # what the shopper is charged (as OrderPlaced stores it)
    authorized: UUID | None = None  # the payment authorized and not yet captured
    captured_payments: tuple[UUID, ...] = ()
    failed_payments: tuple[UUID, ...] = ()
    captured: Money | None = None  # every capture, summed
    capture_reference: str = ""  # the provider's id of the last capture (refunds name it)
    refunded: Money | None = None  # every completed refund, summed
    pending_refunds: tuple[PendingRefund, ...] = ()
    settled_refunds: tuple[UUID, ...] = ()  # refunded or failed
    refunded_lines: tuple[LineQuantity, ...] = ()  # units refunded, per line
    returns: tuple[UUID, ...] = ()
    returned_lines: tuple[LineQuantity, ...] = ()  # units received back, per line

    def _zero(self) -> Money:
        return Money.zero(self.total.currency if self.total else "EUR")

    @property
    def refundable(self) -> Money:
        """What is left to refund: captured, less refunded, less the refunds under way."""
        left = (self.captured or self._zero()) - (self.refunded or self._zero())
        for pending in self.pending_refunds:
            left = left - pending.amount
        return left

    def quantity(self, variant_id: UUID) -> int:
        return sum(line.quantity for line in self.lines if line.variant_id == variant_id)

    def refundable_units(self, variant_id: UUID) -> int:
        pending = sum(
            line.quantity
            for refund in self.pending_refunds
            for line in refund.lines
            if line.variant_id == variant_id
        )
        return self.quantity(variant_id) - _units(self.refunded_lines, variant_id) - pending

    def returnable_units(self, variant_id: UUID) -> int:
        return self.quantity(variant_id) - _units(self.returned_lines, variant_id)


def _units(lines: tuple[LineQuantity, ...], variant_id: UUID) -> int:
    return sum(line.quantity for line in lines if line.variant_id == variant_id)


def _add_units(
    counted: tuple[LineQuantity, ...], more: tuple[LineQuantity, ...]
) -> tuple[LineQuantity, ...]:
    totals: dict[tuple[UUID, UUID], int] = {
        (line.product_id, line.variant_id): line.quantity for line in counted
    }
    for line in more:
        key = (line.product_id, line.variant_id)
        totals[key] = totals.get(key, 0) + line.quantity
    return tuple(
        LineQuantity(product_id=p, variant_id=v, quantity=q) for (p, v), q in totals.items()
    )


def _plus(total: Money | None, amount: Money) -> Money:
    return amount if total is None else total + amount


INITIAL = Order()

# --- Errors --------------------------------------------------------------------------------


class OrderError(Exception):
    """A command the order refuses; the message is fit to show a person."""


class OrderAlreadyPlaced(OrderError):
    def __init__(self) -> None:
        super().__init__("This order has been placed already.")


class EmptyOrder(OrderError):
    def __init__(self) -> None:
        super().__init__("An order needs at least one line.")


class InvalidOrderTotals(OrderError):
    def __init__(self) -> None:
        super().__init__("The order's totals do not add up.")


class OrderNotPlaced(OrderError):
    def __init__(self) -> None:
        super().__init__("There is no such order.")


class OrderAlreadyPaid(OrderError):
    def __init__(self) -> None:
        super().__init__("This order has been paid already.")


class OrderNotPaid(OrderError):
    def __init__(self) -> None:
        super().__init__("This order cannot ship before it is paid.")


class OrderAlreadyShipped(OrderError):
    def __init__(self) -> None:
        super().__init__("This order has shipped already.")


class OrderOfAnotherCustomer(OrderError):
    def __init__(self) -> None:
        super().__init__("This order belongs to another customer.")


class OrderCancelledError(OrderError):
    def __init__(self) -> None:
        super().__init__("This order has been cancelled.")


class PaymentInProgress(OrderError):
    def __init__(self) -> None:
        super().__init__(
            "A payment for this order is already under way. Please wait a moment and "
            "reload the page."
        )


class PaymentAmountMismatch(OrderError):
    def __init__(self) -> None:
        super().__init__("The payment's amount is not the order's total.")


class PaymentNotAuthorized(OrderError):
    def __init__(self) -> None:
        super().__init__("This payment was not authorized for this order.")


class NothingToRefund(OrderError):
    def __init__(self) -> None:
        super().__init__("This order has no captured payment to refund.")


class InvalidRefundAmount(OrderError):
    field = "amount"

    def __init__(self, message: str = "Enter an amount above zero.") -> None:
        super().__init__(message)


class RefundExceedsCaptured(InvalidRefundAmount):
    def __init__(self, left: Money) -> None:
        super().__init__(f"At most {left} is left to refund.")
        self.left = left


class InvalidLineQuantity(OrderError):
    """A refund's or a return's units: more than the line has left, or not one of its lines."""

    def __init__(self, message: str, variant_id: UUID | None = None) -> None:
        super().__init__(message)
        self.variant_id = variant_id


class UnknownRefund(OrderError):
    def __init__(self) -> None:
        super().__init__("There is no such refund on this order.")


class ReturnBeforeShipping(OrderError):
    def __init__(self) -> None:
        super().__init__("Goods can be returned only once the order has shipped.")


# Refusals of the checkout as a whole (raised by the checkout service, named here).


class NothingToCheckOut(OrderError):
    def __init__(self) -> None:
        super().__init__("Your cart is empty.")


class CommandIdReused(OrderError):
    def __init__(self) -> None:
        super().__init__(
            "This checkout form belongs to another cart. Please review your order and try again."
        )


class ProductUnavailable(OrderError):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is no longer in our catalog. Please remove it from your cart.")
        self.name = name


class ShippingUnavailable(OrderError):
    """The chosen method does not ship to the address (any more), or no method does."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "That shipping method does not ship to your address. Please choose another."
        )


class ShippingPriceChanged(OrderError):
    def __init__(self, name: str, price: Money) -> None:
        super().__init__(
            f"The price of {name} shipping changed while you were checking out: it is now "
            f"{price}. Please check your order and place it again."
        )
        self.price = price


class TotalChanged(OrderError):
    def __init__(self, total: Money) -> None:
        super().__init__(
            f"Prices changed while you were checking out: the total is now {total}. "
            "Please review your order and place it again."
        )
        self.total = total


class CheckoutBusy(OrderError):
    def __init__(self) -> None:
        super().__init__("The shop is very busy right now. Please try again in a moment.")


# --- Decide / evolve -----------------------------------------------------------------------


def _totals_add_up(command: PlaceOrder) -> bool:
    """Line totals − discount + shipping = total, and the VAT per rate covers the total."""
    currency = command.total.currency
    zero = Money.zero(currency)
    shipping = command.shipping.price if command.shipping else zero
    amounts = (command.subtotal, command.discount, shipping, *(v.gross for v in command.vat))
    if any(m.currency != currency for m in (*amounts, *(li.unit_price for li in command.lines))):
        return False
    subtotal = zero
    for line in command.lines:
        subtotal = subtotal + line.total
    vat_adds_up = not command.vat or (
        sum((line.gross for line in command.vat), zero) == command.total
        and len({line.rate for line in command.vat}) == len(command.vat)
        and all(zero <= line.vat <= line.gross for line in command.vat)
    )
    return (
        subtotal.rounded() == command.subtotal
        and zero <= command.discount <= command.subtotal
        and zero <= shipping == shipping.rounded()
        and (command.subtotal - command.discount + shipping).rounded() == command.total
        and vat_adds_up
    )


def _check_lines(
    state: Order, lines: tuple[LineQuantity, ...], left: Callable[[UUID], int], what: str
) -> None:
    seen: set[UUID] = set()
    for line in lines:
        known = any(
            (li.product_id, li.variant_id) == (line.product_id, line.variant_id)
            for li in state.lines
        )
        if line.variant_id in seen or not known:
            raise InvalidLineQuantity("That is not a line of this order.", line.variant_id)
        seen.add(line.variant_id)
        if line.quantity < 1:
            raise InvalidLineQuantity("Enter a whole number of units, 1 or more.", line.variant_id)
        if line.quantity > left(line.variant_id):
            raise InvalidLineQuantity(
                f"At most {left(line.variant_id)} of this line can be {what}.", line.variant_id
            )


def _request_refund(command: RequestRefund, state: Order) -> list[Event]:
    if any(p.refund_id == command.refund_id for p in state.pending_refunds) or (
        command.refund_id in state.settled_refunds
    ):
        return []  # requested already (the same form twice)
    if state.captured is None:
        raise NothingToRefund()
    if command.amount.currency != state.captured.currency:
        raise InvalidRefundAmount("The refund must be in the order's currency.")
    if command.amount.amount <= 0 or command.amount.rounded() != command.amount:
        raise InvalidRefundAmount()
    if state.refundable < command.amount:
        raise RefundExceedsCaptured(state.refundable)
    _check_lines(state, command.lines, state.refundable_units, "refunded")
    return [
        RefundRequested(
            refund_id=command.refund_id,
            amount=command.amount,
            lines=command.lines,
            reason=command.reason,
            requested_at=command.at,
        )
    ]


def _pending(state: Order, refund_id: UUID) -> PendingRefund | None:
    return next((p for p in state.pending_refunds if p.refund_id == refund_id), None)


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    PlaceOrder: (OrderPlaced,),
    AuthorizePayment: (PaymentAuthorized,),
    FailPayment: (PaymentFailed,),
    CapturePayment: (PaymentCaptured, OrderPaid),
    MarkShipped: (OrderShipped,),
    Cancel: (OrderCancelled,),
    ClaimOrder: (OrderClaimed,),
    RequestRefund: (RefundRequested,),
    CompleteRefund: (PaymentRefunded,),
    FailRefund: (RefundFailed,),
    ReceiveReturn: (ReturnReceived,),
}


def decide(command: Command, state: Order) -> list[Event]:
    match command, state:
        case PlaceOrder(), Order(status=status) if status != Status.NEW:
            raise OrderAlreadyPlaced()
        case PlaceOrder(lines=()), _:
            raise EmptyOrder()
        case PlaceOrder(), _ if not _totals_add_up(command):
            raise InvalidOrderTotals()
        case PlaceOrder(), _:
            return [
                OrderPlaced(
                    cart_id=command.cart_id,
                    lines=command.lines,
                    subtotal=command.subtotal,
                    discount=command.discount,
                    total=command.total,
                    currency=command.total.currency,
                    coupon_code=command.coupon_code,
                    coupon_id=command.coupon_id,
                    customer=command.customer,
                    address=command.address,
                    placed_at=command.placed_at,
                    shipping=command.shipping,
                    vat=command.vat,
                )
            ]
        case _, Order(status=Status.NEW):
            raise OrderNotPlaced()
        case ClaimOrder(user_id=user_id), Order(customer_id=owner) if owner == user_id:
            return []
        case ClaimOrder(), Order(customer_id=owner) if owner is not None:
            raise OrderOfAnotherCustomer()
        case ClaimOrder(user_id=user_id, at=at), _:
            return [OrderClaimed(user_id=user_id, claimed_at=at)]
        # Money: facts from the provider are recorded whatever the status (a capture that
        # arrives after a cancellation is recorded, then refunded), each once.
        case CapturePayment(payment_id=p), _ if p in state.captured_payments:
            return []
        case CapturePayment(payment_id=p), Order(status=Status.CANCELLED):
            return [
                PaymentCaptured(
                    payment_id=p,
                    amount=command.amount,
                    reference=command.reference,
                    captured_at=command.at,
                )
            ]
        case CapturePayment(payment_id=p), _ if p != state.authorized:
            raise PaymentNotAuthorized()
        case CapturePayment(payment_id=p, at=at), _:
            return [
                PaymentCaptured(
                    payment_id=p, amount=command.amount, reference=command.reference, captured_at=at
                ),
                OrderPaid(paid_at=at),
            ]
        case FailPayment(payment_id=p), _ if p in state.failed_payments + state.captured_payments:
            return []
        case FailPayment(payment_id=p, reason=reason, card_last4=last4, at=at), _:
            return [PaymentFailed(payment_id=p, reason=reason, card_last4=last4, failed_at=at)]
        case RequestRefund(), _:
            return _request_refund(command, state)
        case CompleteRefund(refund_id=r), _ if r in state.settled_refunds:
            return []
        case CompleteRefund(refund_id=r, reference=reference, at=at), _:
            pending = _pending(state, r)
            if pending is None:
                raise UnknownRefund()
            return [
                PaymentRefunded(
                    refund_id=r,
                    amount=pending.amount,
                    lines=pending.lines,
                    reason=pending.reason,
                    reference=reference,
                    refunded_at=at,
                )
            ]
        case FailRefund(refund_id=r), _ if r in state.settled_refunds:
            return []
        case FailRefund(refund_id=r, reason=reason, at=at), _:
            pending = _pending(state, r)
            if pending is None:
                raise UnknownRefund()
            return [RefundFailed(refund_id=r, amount=pending.amount, reason=reason, failed_at=at)]
        case _, Order(status=Status.CANCELLED):
            raise OrderCancelledError()
        case AuthorizePayment(payment_id=p), _ if p == state.authorized or (
            p in state.captured_payments
        ):
            return []
        case AuthorizePayment(), Order(status=Status.PAID | Status.SHIPPED):
            raise OrderAlreadyPaid()
        case AuthorizePayment(), _ if state.authorized is not None:
            raise PaymentInProgress()
        case AuthorizePayment(amount=amount), _ if amount != state.total:
            raise PaymentAmountMismatch()
        case AuthorizePayment(), _:
            return [
                PaymentAuthorized(
                    payment_id=command.payment_id,
                    amount=command.amount,
                    card_last4=command.card_last4,
                    reference=command.reference,
                    authorized_at=command.at,
                )
            ]
        case ReceiveReturn(return_id=r), _ if r in state.returns:
            return []
        case ReceiveReturn(), Order(status=status) if status != Status.SHIPPED:
            raise ReturnBeforeShipping()
        case ReceiveReturn(lines=()), _:
            raise InvalidLineQuantity("Enter how many units of a line came back.")
        case ReceiveReturn(return_id=r, lines=lines, at=at), _:
            _check_lines(state, lines, state.returnable_units, "returned")
            return [ReturnReceived(return_id=r, lines=lines, received_at=at)]
        case MarkShipped(), Order(status=Status.SHIPPED):
            raise OrderAlreadyShipped()
        case MarkShipped(), Order(status=Status.PLACED):
            raise OrderNotPaid()
        case MarkShipped(at=at), _:
            return [OrderShipped(shipped_at=at)]
        case Cancel(), Order(status=Status.SHIPPED):
            raise OrderAlreadyShipped()
        case Cancel(unpaid_only=True), Order(status=Status.PAID):
            raise OrderAlreadyPaid()
        case Cancel(at=at, reason=reason), _:
            return [OrderCancelled(cancelled_at=at, reason=reason)]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Order, event: Event) -> Order:
    match event:
        case OrderPlaced(lines=lines, coupon_code=code, coupon_id=coupon_id, customer=customer):
            return Order(
                status=Status.PLACED,
                lines=lines,
                coupon_code=code,
                coupon_id=coupon_id,
                customer_id=customer.user_id,
                total=event.total,
            )
        case PaymentAuthorized(payment_id=p):
            return replace(state, authorized=p)
        case PaymentFailed(payment_id=p):
            return replace(
                state,
                failed_payments=(*state.failed_payments, p),
                authorized=None if state.authorized == p else state.authorized,
            )
        case PaymentCaptured(payment_id=p, amount=amount, reference=reference):
            return replace(
                state,
                capture_reference=reference,
                captured_payments=(*state.captured_payments, p),
                captured=_plus(state.captured, amount),
                authorized=None if state.authorized == p else state.authorized,
            )
        case RefundRequested(refund_id=r, amount=amount, lines=lines, reason=reason):
            pending = PendingRefund(refund_id=r, amount=amount, lines=lines, reason=reason)
            return replace(state, pending_refunds=(*state.pending_refunds, pending))
        case PaymentRefunded(refund_id=r, amount=amount, lines=lines):
            return replace(
                state,
                pending_refunds=tuple(p for p in state.pending_refunds if p.refund_id != r),
                settled_refunds=(*state.settled_refunds, r),
                refunded=_plus(state.refunded, amount),
                refunded_lines=_add_units(state.refunded_lines, lines),
            )
        case RefundFailed(refund_id=r):
            return replace(
                state,
                pending_refunds=tuple(p for p in state.pending_refunds if p.refund_id != r),
                settled_refunds=(*state.settled_refunds, r),
            )
        case ReturnReceived(return_id=r, lines=lines):
            return replace(
                state,
                returns=(*state.returns, r),
                returned_lines=_add_units(state.returned_lines, lines),
            )
        case OrderClaimed(user_id=user_id):
            return replace(state, customer_id=user_id)
        case OrderPaid():
            return replace(state, status=Status.PAID)
        case OrderShipped():
            return replace(state, status=Status.SHIPPED)
        case OrderCancelled():
            return replace(state, status=Status.CANCELLED)
        case _:
            return state
