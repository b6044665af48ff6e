"""The cart aggregate: commands, events, state, decide and evolve. Pure Python, no Django.

The cart holds only what its own commands need to decide: its lines (with the unit price
each was added at), its coupon code, and whether it is closed (checked out or merged into
another cart). Facts from elsewhere (current price, stock available, a coupon's terms)
come in with the command, looked up by the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from carts.pricing import CouponTerms, coupon_refusal
from shop.money import Money

MAX_QUANTITY = 99  # per line

# --- Commands ------------------------------------------------------------------------------


# A cart line is one variant of a product. Commands name it by ``variant_id``; None is the
# product's default variant, whose id is the product's own.


@dataclass(frozen=True, slots=True, kw_only=True)
class AddItem:
    product_id: UUID
    quantity: int
    unit_price: Money
    available: int
    variant_id: UUID | None = None

    @property
    def line_id(self) -> UUID:
        return self.variant_id or self.product_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeQuantity:
    product_id: UUID
    quantity: int
    available: int
    variant_id: UUID | None = None

    @property
    def line_id(self) -> UUID:
        return self.variant_id or self.product_id


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveItem:
    product_id: UUID
    variant_id: UUID | None = None

    @property
    def line_id(self) -> UUID:
        return self.variant_id or self.product_id


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyCoupon:
    code: str
    coupon: CouponTerms | None  # None: no coupon has that code
    subtotal: Money
    now: datetime
    used_up: bool = False  # the coupon's own stream says so (carts.coupons.used_up)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveCoupon:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class MergeCart:
    """Fold a guest cart's lines into this (the customer's) cart."""

    source_cart_id: UUID
    lines: tuple[Line, ...]
    available: dict[UUID, int]  # by variant id


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseAsMerged:
    """Mark a guest cart as folded into ``target_cart_id``."""

    target_cart_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckoutCart:
    order_id: UUID


type Command = (
    AddItem
    | ChangeQuantity
    | RemoveItem
    | ApplyCoupon
    | RemoveCoupon
    | MergeCart
    | CloseAsMerged
    | CheckoutCart
)

# --- Events --------------------------------------------------------------------------------


# Line events name the variant (ItemAdded v3, the others v2; before, only the product:
# its default variant, see carts/upcasters.py).


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAdded:
    product_id: UUID
    variant_id: UUID
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemQuantityChanged:
    product_id: UUID
    variant_id: UUID
    quantity: int
    previous: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRemoved:
    product_id: UUID
    variant_id: UUID
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponApplied:
    code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponRemoved:
    code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CartMerged:
    source_cart_id: UUID
    lines: tuple[Line, ...]  # what the guest cart brought, after capping by stock


@dataclass(frozen=True, slots=True, kw_only=True)
class CartMergedInto:
    target_cart_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class CartCheckedOut:
    order_id: UUID


EVENTS = (
    ItemAdded,
    ItemQuantityChanged,
    ItemRemoved,
    CouponApplied,
    CouponRemoved,
    CartMerged,
    CartMergedInto,
    CartCheckedOut,
)
SCHEMA_VERSIONS = {ItemAdded: 3, ItemQuantityChanged: 2, ItemRemoved: 2, CartMerged: 2}
type Event = (
    ItemAdded
    | ItemQuantityChanged
    | ItemRemoved
    | CouponApplied
    | CouponRemoved
    | CartMerged
    | CartMergedInto
    | CartCheckedOut
)

# --- State ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    product_id: UUID
    variant_id: UUID
    quantity: int
    unit_price: Money


@dataclass(frozen=True, slots=True)
class Cart:
    # The lines by variant, in the order they were first added (a dict keeps it): evolve
    # finds a line in one lookup, however many the cart holds. Never changed in place.
    by_variant: dict[UUID, Line] = field(default_factory=dict)
    coupon: str | None = None
    checked_out: bool = False
    merged_into: UUID | None = None
    merged_from: frozenset[UUID] = frozenset()

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(self.by_variant.values())

    def line(self, variant_id: UUID) -> Line | None:
        return self.by_variant.get(variant_id)

    def quantity_of(self, variant_id: UUID) -> int:
        line = self.by_variant.get(variant_id)
        return line.quantity if line else 0

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.by_variant.values())

    @property
    def is_empty(self) -> bool:
        return not self.by_variant

    def product_ids(self) -> set[UUID]:
        return {line.product_id for line in self.by_variant.values()}

    def with_added(
        self, product_id: UUID, variant_id: UUID, quantity: int, unit_price: Money
    ) -> Cart:
        """The cart with ``quantity`` more of that variant; a line keeps its first price."""
        existing = self.by_variant.get(variant_id)
        if existing is not None:
            quantity, unit_price = existing.quantity + quantity, existing.unit_price
        line = Line(
            product_id=product_id, variant_id=variant_id, quantity=quantity, unit_price=unit_price
        )
        return replace(self, by_variant={**self.by_variant, variant_id: line})

    def with_line(self, variant_id: UUID, quantity: int) -> Cart:
        """The cart with that variant's line set to ``quantity`` (0 removes it)."""
        existing = self.by_variant.get(variant_id)
        if existing is None:
            return self
        lines = dict(self.by_variant)
        if quantity > 0:
            lines[variant_id] = replace(existing, quantity=quantity)
        else:
            del lines[variant_id]
        return replace(self, by_variant=lines)


INITIAL = Cart()

# --- Errors --------------------------------------------------------------------------------


class CartError(Exception):
    """A command the cart refuses; the message is fit to show the shopper."""


class CartAlreadyCheckedOut(CartError):
    def __init__(self) -> None:
        super().__init__("This cart has been checked out already.")


class CartClosed(CartError):
    def __init__(self) -> None:
        super().__init__("This cart was merged into another one.")


class InvalidQuantity(CartError):
    def __init__(self, quantity: int) -> None:
        super().__init__(f"Quantity must be a whole number from 1 to {MAX_QUANTITY}.")
        self.quantity = quantity


class NotEnoughStock(CartError):
    def __init__(self, available: int) -> None:
        if available <= 0:
            message = "Sorry, this product is out of stock."
        else:
            message = f"Only {available} available."
        super().__init__(message)
        self.available = available


class ItemNotInCart(CartError):
    def __init__(self) -> None:
        super().__init__("That product is not in your cart.")


class CouponRefused(CartError):
    """The coupon cannot be applied; the message says why."""


class UnknownCoupon(CouponRefused):
    """No coupon has that code."""


class EmptyCart(CartError):
    def __init__(self) -> None:
        super().__init__("Your cart is empty.")


class NothingToUndo(CartError):
    """The removal to undo is not this cart's, was undone already, or is too old."""

    def __init__(self) -> None:
        super().__init__("There is nothing to undo: that removal was undone already or is too old.")


# --- Decide / evolve -----------------------------------------------------------------------


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    AddItem: (ItemAdded,),
    RemoveItem: (ItemRemoved,),
    ChangeQuantity: (ItemQuantityChanged, ItemRemoved),
    ApplyCoupon: (CouponApplied,),
    RemoveCoupon: (CouponRemoved,),
    MergeCart: (CartMerged,),
    CloseAsMerged: (CartMergedInto,),
    CheckoutCart: (CartCheckedOut,),
}


def decide(command: Command, state: Cart) -> list[Event]:
    match command, state:
        case CloseAsMerged(target_cart_id=target), Cart(merged_into=merged) if merged == target:
            return []
        case _, Cart(checked_out=True):
            raise CartAlreadyCheckedOut()
        case _, Cart(merged_into=UUID()):
            raise CartClosed()
        case AddItem(quantity=q), _ if not 1 <= q <= MAX_QUANTITY:
            raise InvalidQuantity(q)
        case AddItem(line_id=v, quantity=q), _ if state.quantity_of(v) + q > MAX_QUANTITY:
            raise InvalidQuantity(state.quantity_of(v) + q)
        case AddItem(line_id=v, quantity=q, available=a), _ if state.quantity_of(v) + q > a:
            raise NotEnoughStock(a)
        case AddItem(product_id=p, line_id=v, quantity=q, unit_price=price), _:
            return [ItemAdded(product_id=p, variant_id=v, quantity=q, unit_price=price)]
        case ChangeQuantity(line_id=v) | RemoveItem(line_id=v), _ if not state.line(v):
            raise ItemNotInCart()
        case ChangeQuantity(quantity=0, line_id=v), _:
            return [_removed(state.line(v))]
        case ChangeQuantity(quantity=q), _ if not 1 <= q <= MAX_QUANTITY:
            raise InvalidQuantity(q)
        case ChangeQuantity(line_id=v, quantity=q), _ if q == state.quantity_of(v):
            return []
        case ChangeQuantity(quantity=q, available=a), _ if q > a:
            raise NotEnoughStock(a)
        case ChangeQuantity(line_id=v, quantity=q), _:
            line = state.line(v)
            return [
                ItemQuantityChanged(
                    product_id=line.product_id, variant_id=v, quantity=q, previous=line.quantity
                )
            ]
        case RemoveItem(line_id=v), _:
            return [_removed(state.line(v))]
        case ApplyCoupon(coupon=coupon), _ if coupon is not None and coupon.code == state.coupon:
            return []
        case ApplyCoupon(), Cart(lines=()):
            raise EmptyCart()
        case ApplyCoupon(code=code, coupon=coupon, subtotal=subtotal, now=now), _:
            refusal = coupon_refusal(code, coupon, subtotal, now)
            if not refusal and command.used_up:
                refusal = f"The coupon {coupon.code} has been used up."
            if refusal:
                raise (UnknownCoupon if coupon is None else CouponRefused)(refusal)
            return [CouponApplied(code=coupon.code)]
        case RemoveCoupon(), Cart(coupon=None):
            return []
        case RemoveCoupon(), Cart(coupon=code):
            return [CouponRemoved(code=code)]
        case MergeCart(source_cart_id=source), _ if source in state.merged_from:
            return []
        case MergeCart(source_cart_id=source, lines=lines, available=available), _:
            brought = _capped(state, lines, available)
            return [CartMerged(source_cart_id=source, lines=brought)]
        case CloseAsMerged(target_cart_id=target), _:
            return [CartMergedInto(target_cart_id=target)]
        case CheckoutCart(), Cart(lines=()):
            raise EmptyCart()
        case CheckoutCart(order_id=order_id), _:
            return [CartCheckedOut(order_id=order_id)]
    raise TypeError(f"unknown command {command!r}")


def _removed(line: Line) -> ItemRemoved:
    return ItemRemoved(
        product_id=line.product_id,
        variant_id=line.variant_id,
        quantity=line.quantity,
        unit_price=line.unit_price,
    )


def _capped(state: Cart, lines: tuple[Line, ...], available: dict[UUID, int]) -> tuple[Line, ...]:
    """The guest's lines, each cut so the merged quantity stays within stock and the limit."""
    brought = []
    for line in lines:
        room = min(available.get(line.variant_id, 0), MAX_QUANTITY) - state.quantity_of(
            line.variant_id
        )
        quantity = min(line.quantity, room)
        if quantity > 0:
            brought.append(replace(line, quantity=quantity))
    return tuple(brought)


def evolve(state: Cart, event: Event) -> Cart:
    match event:
        case ItemAdded(product_id=p, variant_id=v, quantity=q, unit_price=price):
            return state.with_added(p, v, q, price)
        case ItemQuantityChanged(variant_id=v, quantity=q):
            return state.with_line(v, q)
        case ItemRemoved(variant_id=v):
            return state.with_line(v, 0)
        case CouponApplied(code=code):
            return replace(state, coupon=code)
        case CouponRemoved():
            return replace(state, coupon=None)
        case CartMerged(source_cart_id=source, lines=lines):
            for line in lines:
                state = state.with_added(
                    line.product_id, line.variant_id, line.quantity, line.unit_price
                )
            return replace(state, merged_from=state.merged_from | {source})
        case CartMergedInto(target_cart_id=target):
            return replace(state, merged_into=target)
        case CartCheckedOut():
            return replace(state, checked_out=True)
        case _:
            return state
