"""The order aggregate: commands, events, state, decide and evolve. Pure Python, no Django.

An order is placed once (at checkout, together with the cart, stock and coupon streams),
then staff move it on: placed → paid → shipped, or cancelled before it ships. A guest's
order is claimed by the customer who signs up or logs in from the browser session that
placed it. The state holds what those commands need: the status, the customer, and the
lines and coupon a cancellation gives back.
"""

from __future__ import annotations

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
class MarkPaid:
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkShipped:
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel:
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimOrder:
    """A customer takes a guest order of theirs into their account (at sign-up or log-in)."""

    user_id: int
    at: datetime


type Command = PlaceOrder | MarkPaid | MarkShipped | Cancel | ClaimOrder

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


EVENTS = (OrderPlaced, OrderPaid, OrderShipped, OrderCancelled, OrderClaimed)
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
type Event = OrderPlaced | OrderPaid | OrderShipped | OrderCancelled | OrderClaimed

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


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    PlaceOrder: (OrderPlaced,),
    MarkPaid: (OrderPaid,),
    MarkShipped: (OrderShipped,),
    Cancel: (OrderCancelled,),
    ClaimOrder: (OrderClaimed,),
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
        case _, Order(status=Status.CANCELLED):
            raise OrderCancelledError()
        case MarkPaid(), Order(status=Status.PAID | Status.SHIPPED):
            raise OrderAlreadyPaid()
        case MarkPaid(at=at), _:
            return [OrderPaid(paid_at=at)]
        case MarkShipped(), Order(status=Status.SHIPPED):
            raise OrderAlreadyShipped()
        case MarkShipped(), Order(status=Status.PLACED):
            raise OrderNotPaid()
        case MarkShipped(at=at), _:
            return [OrderShipped(shipped_at=at)]
        case Cancel(), Order(status=Status.SHIPPED):
            raise OrderAlreadyShipped()
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
