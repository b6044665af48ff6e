"""The product aggregate: listing, price and stock. Pure Python, no Django."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from shop.money import Money

# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListProduct:
    name: str
    slug: str
    category: str
    description: str
    price: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePrice:
    price: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustStock:
    on_hand: int
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveStock:
    quantity: int
    order_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseStock:
    quantity: int
    order_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class DelistProduct:
    pass


type Command = ListProduct | ChangePrice | AdjustStock | ReserveStock | ReleaseStock | DelistProduct

# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductListed:
    name: str
    slug: str
    category: str
    description: str
    price: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductPriceChanged:
    price: Money
    previous: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted:
    on_hand: int
    delta: int
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReserved:
    quantity: int
    order_id: UUID
    on_hand: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReleased:
    quantity: int
    order_id: UUID
    on_hand: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDelisted:
    pass


EVENTS = (
    ProductListed,
    ProductPriceChanged,
    StockAdjusted,
    StockReserved,
    StockReleased,
    ProductDelisted,
)
type Event = (
    ProductListed
    | ProductPriceChanged
    | StockAdjusted
    | StockReserved
    | StockReleased
    | ProductDelisted
)

# --- State ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    listed: bool = False
    delisted: bool = False
    name: str = ""
    price: Money | None = None
    on_hand: int = 0


INITIAL = Product()

# --- Errors --------------------------------------------------------------------------------


class ProductError(Exception):
    """A command the product refuses; the message is fit to show a person."""


class ProductAlreadyListed(ProductError):
    def __init__(self) -> None:
        super().__init__("This product is already listed.")


class ProductNotListed(ProductError):
    def __init__(self) -> None:
        super().__init__("This product is not in the catalog.")


class InvalidPrice(ProductError):
    def __init__(self) -> None:
        super().__init__("A price must be positive.")


class InvalidStock(ProductError):
    def __init__(self) -> None:
        super().__init__("Stock cannot be negative.")


class InsufficientStock(ProductError):
    def __init__(self, name: str, available: int) -> None:
        super().__init__(f"Only {available} of {name} left in stock.")
        self.name = name
        self.available = available


# --- Decide / evolve -----------------------------------------------------------------------


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    ListProduct: (ProductListed,),
    ChangePrice: (ProductPriceChanged,),
    AdjustStock: (StockAdjusted,),
    ReserveStock: (StockReserved,),
    ReleaseStock: (StockReleased,),
    DelistProduct: (ProductDelisted,),
}


def decide(command: Command, state: Product) -> list[Event]:
    match command, state:
        case ListProduct(), Product(listed=True):
            raise ProductAlreadyListed()
        case ListProduct(price=price), _ if price.amount <= 0:
            raise InvalidPrice()
        case ListProduct(), _:
            return [
                ProductListed(
                    name=command.name,
                    slug=command.slug,
                    category=command.category,
                    description=command.description,
                    price=command.price,
                )
            ]
        case ReleaseStock(quantity=q, order_id=order_id), Product(listed=True) if q > 0:
            # Stock comes back from a cancelled order even after the product is delisted.
            return [StockReleased(quantity=q, order_id=order_id, on_hand=state.on_hand + q)]
        case _, Product(listed=False) | Product(delisted=True):
            raise ProductNotListed()
        case ReserveStock(quantity=q), _ if q < 1:
            raise InvalidStock()
        case ChangePrice(price=price), _ if price.amount <= 0:
            raise InvalidPrice()
        case ChangePrice(price=price), _ if price == state.price:
            return []
        case ChangePrice(price=price), _:
            return [ProductPriceChanged(price=price, previous=state.price)]
        case AdjustStock(on_hand=n), _ if n < 0:
            raise InvalidStock()
        case AdjustStock(on_hand=n), _ if n == state.on_hand:
            return []
        case AdjustStock(on_hand=n, reason=reason), _:
            return [StockAdjusted(on_hand=n, delta=n - state.on_hand, reason=reason)]
        case ReserveStock(quantity=q), _ if q > state.on_hand:
            raise InsufficientStock(state.name, state.on_hand)
        case ReserveStock(quantity=q, order_id=order_id), _:
            return [StockReserved(quantity=q, order_id=order_id, on_hand=state.on_hand - q)]
        case DelistProduct(), _:
            return [ProductDelisted()]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Product, event: Event) -> Product:
    match event:
        case ProductListed(name=name, price=price):
            return replace(state, listed=True, name=name, price=price)
        case ProductPriceChanged(price=price):
            return replace(state, price=price)
        case StockAdjusted(on_hand=n) | StockReserved(on_hand=n) | StockReleased(on_hand=n):
            return replace(state, on_hand=n)
        case ProductDelisted():
            return replace(state, delisted=True)
        case _:
            return state
