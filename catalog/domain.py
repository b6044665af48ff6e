"""The product aggregate: listing, details, price, stock, delisting. Pure Python, no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

from shop.money import Money, TaxClass

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
class ChangeProductDetails:
    name: str
    description: str
    category: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeTaxClass:
    """Which VAT rate the product pays (a product never given one pays the standard rate)."""

    tax_class: TaxClass


@dataclass(frozen=True, slots=True, kw_only=True)
class DelistProduct:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RelistProduct:
    pass


type Command = (
    ListProduct
    | ChangeProductDetails
    | ChangePrice
    | AdjustStock
    | ReserveStock
    | ReleaseStock
    | DelistProduct
    | RelistProduct
    | ChangeTaxClass
)

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
class ProductDetailsChanged:
    """The name, description and category after the change (all three, changed or not)."""

    name: str
    description: str
    category: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductTaxClassChanged:
    tax_class: TaxClass
    previous: TaxClass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDelisted:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRelisted:
    pass


EVENTS = (
    ProductListed,
    ProductDetailsChanged,
    ProductPriceChanged,
    StockAdjusted,
    StockReserved,
    StockReleased,
    ProductDelisted,
    ProductRelisted,
    ProductTaxClassChanged,
)
type Event = (
    ProductListed
    | ProductDetailsChanged
    | ProductPriceChanged
    | StockAdjusted
    | StockReserved
    | StockReleased
    | ProductDelisted
    | ProductRelisted
    | ProductTaxClassChanged
)

# --- State ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    listed: bool = False  # the product exists (it was listed once)
    delisted: bool = False  # taken off sale; staff may relist it
    name: str = ""
    price: Money | None = None
    on_hand: int = 0
    slug: str = ""
    description: str = ""
    category: str = ""
    tax_class: TaxClass = TaxClass.STANDARD

    def details(self) -> tuple[str, str, str]:
        return self.name, self.description, self.category


INITIAL = Product()

# What the read model can hold (catalog.models.Product): the aggregate refuses the rest.
NAME_MAX = 200
SLUG_MAX = 120
CATEGORY_MAX = 50
PRICE_LIMIT = Decimal(10) ** 10  # twelve digits, two of them after the point
STOCK_MAX = 2**31 - 1
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")

# --- Errors --------------------------------------------------------------------------------


class ProductError(Exception):
    """A command the product refuses; the message is fit to show a person.

    ``field`` names the part of the command refused (a staff form shows the message there).
    """

    field: str | None = None


class ProductAlreadyListed(ProductError):
    field = "slug"

    def __init__(self) -> None:
        super().__init__("A product with this slug is listed already.")


class ProductNotListed(ProductError):
    def __init__(self) -> None:
        super().__init__("This product is not in the catalog.")


class InvalidName(ProductError):
    field = "name"

    def __init__(self, message: str = "A product needs a name.") -> None:
        super().__init__(message)


class InvalidSlug(ProductError):
    field = "slug"

    def __init__(self) -> None:
        super().__init__(f"A slug is 1 to {SLUG_MAX} letters, numbers, hyphens or underscores.")


class InvalidCategory(ProductError):
    field = "category"

    def __init__(self) -> None:
        super().__init__("That is not a category's slug.")


class InvalidDescription(ProductError):
    field = "description"

    def __init__(self) -> None:
        super().__init__("A description cannot contain NUL characters.")


class InvalidPrice(ProductError):
    field = "price"

    def __init__(self, message: str = "A price must be positive.") -> None:
        super().__init__(message)


class InvalidStock(ProductError):
    field = "stock"

    def __init__(self, message: str = "Stock cannot be negative.") -> None:
        super().__init__(message)


class InvalidTaxClass(ProductError):
    field = "tax_class"

    def __init__(self) -> None:
        super().__init__("That is not a tax class.")


class InsufficientStock(ProductError):
    def __init__(self, name: str, available: int) -> None:
        super().__init__(f"Only {available} of {name} left in stock.")
        self.name = name
        self.available = available


# --- Decide / evolve -----------------------------------------------------------------------


# What each command may emit (docs/events.md is generated from it).
COMMANDS: dict[type, tuple[type, ...]] = {
    ListProduct: (ProductListed,),
    ChangeProductDetails: (ProductDetailsChanged,),
    ChangePrice: (ProductPriceChanged,),
    AdjustStock: (StockAdjusted,),
    ReserveStock: (StockReserved,),
    ReleaseStock: (StockReleased,),
    DelistProduct: (ProductDelisted,),
    RelistProduct: (ProductRelisted,),
    ChangeTaxClass: (ProductTaxClassChanged,),
}


def _check_details(name: str, description: str, category: str) -> None:
    if not name.strip():
        raise InvalidName()
    if len(name) > NAME_MAX or "\x00" in name:
        raise InvalidName(f"A name has at most {NAME_MAX} characters and no NUL character.")
    if "\x00" in description:
        raise InvalidDescription()
    if category and (len(category) > CATEGORY_MAX or not _SLUG.fullmatch(category)):
        raise InvalidCategory()


def _check_price(price: Money) -> None:
    if not price.amount.is_finite() or price.amount <= 0:
        raise InvalidPrice()
    if price.amount >= PRICE_LIMIT or price != price.rounded():
        raise InvalidPrice(f"A price is below {PRICE_LIMIT:,} with at most two decimals.")


def decide(command: Command, state: Product) -> list[Event]:
    match command, state:
        case ListProduct(), Product(listed=True):
            raise ProductAlreadyListed()
        case ListProduct(slug=slug), _ if len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
            raise InvalidSlug()
        case ListProduct(), _:
            _check_details(command.name, command.description, command.category)
            _check_price(command.price)
            return [
                ProductListed(
                    name=command.name,
                    slug=command.slug,
                    category=command.category,
                    description=command.description,
                    price=command.price,
                )
            ]
        case _, Product(listed=False):
            raise ProductNotListed()
        case ReleaseStock(quantity=q), _ if q < 1:
            raise InvalidStock()
        case ReleaseStock(quantity=q, order_id=order_id), _:
            # Stock comes back from a cancelled order even after the product is delisted.
            return [StockReleased(quantity=q, order_id=order_id, on_hand=state.on_hand + q)]
        case ReserveStock(), Product(delisted=True):
            raise ProductNotListed()
        case ReserveStock(quantity=q), _ if q < 1:
            raise InvalidStock()
        case ReserveStock(quantity=q), _ if q > state.on_hand:
            raise InsufficientStock(state.name, state.on_hand)
        case ReserveStock(quantity=q, order_id=order_id), _:
            return [StockReserved(quantity=q, order_id=order_id, on_hand=state.on_hand - q)]
        # Staff commands: a delisted product can still be edited, and relisted.
        case ChangeProductDetails(name=name, description=description, category=category), _:
            _check_details(name, description, category)
            if (name, description, category) == state.details():
                return []
            return [ProductDetailsChanged(name=name, description=description, category=category)]
        case ChangePrice(price=price), _:
            _check_price(price)
            if price == state.price:
                return []
            return [ProductPriceChanged(price=price, previous=state.price)]
        case AdjustStock(on_hand=n), _ if n < 0:
            raise InvalidStock()
        case AdjustStock(on_hand=n), _ if n > STOCK_MAX:
            raise InvalidStock(f"Stock is at most {STOCK_MAX:,}.")
        case AdjustStock(on_hand=n), _ if n == state.on_hand:
            return []
        case AdjustStock(on_hand=n, reason=reason), _:
            return [StockAdjusted(on_hand=n, delta=n - state.on_hand, reason=reason)]
        case ChangeTaxClass(tax_class=tax_class), _ if tax_class not in TaxClass:
            raise InvalidTaxClass()
        case ChangeTaxClass(tax_class=tax_class), _ if tax_class == state.tax_class:
            return []
        case ChangeTaxClass(tax_class=tax_class), _:
            return [ProductTaxClassChanged(tax_class=tax_class, previous=state.tax_class)]
        case DelistProduct(), _:
            return [] if state.delisted else [ProductDelisted()]
        case RelistProduct(), _:
            return [ProductRelisted()] if state.delisted else []
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Product, event: Event) -> Product:
    match event:
        case ProductListed():
            return replace(
                state,
                listed=True,
                name=event.name,
                slug=event.slug,
                description=event.description,
                category=event.category,
                price=event.price,
            )
        case ProductDetailsChanged(name=name, description=description, category=category):
            return replace(state, name=name, description=description, category=category)
        case ProductPriceChanged(price=price):
            return replace(state, price=price)
        case StockAdjusted(on_hand=n) | StockReserved(on_hand=n) | StockReleased(on_hand=n):
            return replace(state, on_hand=n)
        case ProductTaxClassChanged(tax_class=tax_class):
            return replace(state, tax_class=tax_class)
        case ProductDelisted():
            return replace(state, delisted=True)
        case ProductRelisted():
            return replace(state, delisted=False)
        case _:
            return state
