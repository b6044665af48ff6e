"""The product aggregate: listing, details, options and variants, price and stock per
variant, delisting. Pure Python, no Django.

A product has option groups (Size: 250 g, 500 g, 1 kg; Grind: Whole bean, Filter, ...) and
variants, one per combination of option values that is sold, each with its own SKU, price,
stock and weight in grams. A product with no option groups has exactly one variant. The
first variant is the product's default one: its id is the product's own id (the service
lists it so), which is how events stored before variants existed name it
(``catalog/upcasters.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID

from shop.money import Money

# --- Commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListProduct:
    """List a product with its default variant (``variant_id``: the product's id)."""

    name: str
    slug: str
    category: str
    description: str
    price: Money
    variant_id: UUID
    sku: str = ""  # empty: the slug, in capitals
    weight_grams: int = 0


# Commands about one variant name it by ``variant_id``; None is the default variant.


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePrice:
    price: Money
    variant_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustStock:
    """Set a variant's stock on hand; ``expected``: the figure the staff form showed (a
    checkout since then makes the save stale, refused rather than overwritten)."""

    on_hand: int
    reason: str = ""
    variant_id: UUID | None = None
    expected: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveStock:
    quantity: int
    order_id: UUID
    variant_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseStock:
    quantity: int
    order_id: UUID
    variant_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddOptionGroup:
    """A new option group (Size: 250 g, 500 g, 1 kg); every variant the product has takes
    its first value."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeOptionGroup:
    """Rename the group at ``position`` (0: the first) and set its values; a value a
    variant uses cannot go."""

    position: int
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddVariant:
    """Sell one more combination of option values (one value per group, in their order)."""

    variant_id: UUID
    sku: str
    price: Money | None
    weight_grams: int
    options: tuple[str, ...]
    on_hand: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeVariant:
    """Change a variant's SKU, weight or option values (price and stock: ``ChangePrice``,
    ``AdjustStock``)."""

    variant_id: UUID
    sku: str
    weight_grams: int
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeProductDetails:
    name: str
    description: str
    category: str


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
    | AddOptionGroup
    | ChangeOptionGroup
    | AddVariant
    | ChangeVariant
)

# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductListed:
    """Schema v2: the default variant's id, SKU and weight (v1 had none: upcast)."""

    name: str
    slug: str
    category: str
    description: str
    price: Money  # the default variant's
    variant_id: UUID
    sku: str
    weight_grams: int


# Price and stock events name their variant (schema v2; v1 meant the default variant).


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductPriceChanged:
    variant_id: UUID
    price: Money
    previous: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted:
    variant_id: UUID
    on_hand: int
    delta: int
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReserved:
    variant_id: UUID
    quantity: int
    order_id: UUID
    on_hand: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReleased:
    variant_id: UUID
    quantity: int
    order_id: UUID
    on_hand: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionGroupAdded:
    position: int
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionGroupChanged:
    position: int
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantAdded:
    variant_id: UUID
    sku: str
    price: Money
    weight_grams: int
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantChanged:
    """The variant's SKU, weight and option values after the change (all three)."""

    variant_id: UUID
    sku: str
    weight_grams: int
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDetailsChanged:
    """The name, description and category after the change (all three, changed or not)."""

    name: str
    description: str
    category: str


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
    OptionGroupAdded,
    OptionGroupChanged,
    VariantAdded,
    VariantChanged,
)
# Events whose shape changed, by the schema version they are stored in now.
SCHEMA_VERSIONS = {
    ProductListed: 2,
    ProductPriceChanged: 2,
    StockAdjusted: 2,
    StockReserved: 2,
    StockReleased: 2,
}
type Event = (
    ProductListed
    | ProductDetailsChanged
    | ProductPriceChanged
    | StockAdjusted
    | StockReserved
    | StockReleased
    | ProductDelisted
    | ProductRelisted
    | OptionGroupAdded
    | OptionGroupChanged
    | VariantAdded
    | VariantChanged
)

# --- State ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionGroup:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variant:
    id: UUID
    sku: str
    price: Money
    on_hand: int = 0
    weight_grams: int = 0
    options: tuple[str, ...] = ()  # one value per option group, in the groups' order

    @property
    def label(self) -> str:
        """Its option values, for people: "500 g, Filter" ("" for a product without)."""
        return ", ".join(self.options)


@dataclass(frozen=True, slots=True)
class Product:
    listed: bool = False  # the product exists (it was listed once)
    delisted: bool = False  # taken off sale; staff may relist it
    name: str = ""
    slug: str = ""
    description: str = ""
    category: str = ""
    option_groups: tuple[OptionGroup, ...] = ()
    variants: tuple[Variant, ...] = ()  # the first is the default one

    def details(self) -> tuple[str, str, str]:
        return self.name, self.description, self.category

    def variant(self, variant_id: UUID | None) -> Variant | None:
        """The variant of that id; None: the default one."""
        if variant_id is None:
            return self.variants[0] if self.variants else None
        return next((v for v in self.variants if v.id == variant_id), None)

    def variant_with(self, options: tuple[str, ...]) -> Variant | None:
        """The variant sold with these option values, if any."""
        return next((v for v in self.variants if v.options == tuple(options)), None)

    @property
    def price(self) -> Money | None:
        """The default variant's price."""
        return self.variants[0].price if self.variants else None

    @property
    def on_hand(self) -> int:
        """Units on hand, every variant together."""
        return sum(v.on_hand for v in self.variants)

    def title(self, variant: Variant) -> str:
        """ "Brazil Cerrado, 500 g, Filter": the name, then the variant's option values."""
        return ", ".join((self.name, *variant.options))

    def _with_variant(self, variant: Variant) -> Product:
        variants = tuple(variant if v.id == variant.id else v for v in self.variants)
        if variant.id not in {v.id for v in self.variants}:
            variants += (variant,)
        return replace(self, variants=variants)


INITIAL = Product()

# What the read model can hold (catalog.models.Product): the aggregate refuses the rest.
NAME_MAX = 200
SLUG_MAX = 120
CATEGORY_MAX = 50
PRICE_LIMIT = Decimal(10) ** 10  # twelve digits, two of them after the point
STOCK_MAX = 2**31 - 1
WEIGHT_MAX = 1_000_000  # grams: a tonne
SKU_MAX = 64
OPTION_MAX = 50  # characters in a group's name or a value
OPTION_GROUPS_MAX = 3
OPTION_VALUES_MAX = 20
VARIANTS_MAX = 100
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SKU = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_./]*")

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


class InsufficientStock(ProductError):
    def __init__(self, name: str, available: int) -> None:
        super().__init__(f"Only {available} of {name} left in stock.")
        self.name = name
        self.available = available


class StaleStock(ProductError):
    field = "stock"

    def __init__(self, on_hand: int) -> None:
        super().__init__(
            f"The stock changed to {on_hand} since this form was opened (an order or another "
            "save): check the figure and save again."
        )
        self.on_hand = on_hand


class InvalidWeight(ProductError):
    field = "weight_grams"

    def __init__(self) -> None:
        super().__init__(f"A weight is a whole number of grams from 0 to {WEIGHT_MAX:,}.")


class InvalidSku(ProductError):
    field = "sku"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or f"A SKU is 1 to {SKU_MAX} letters, numbers, hyphens, dots, slashes or "
            "underscores, starting with a letter or number."
        )


class DuplicateSku(InvalidSku):
    def __init__(self, sku: str) -> None:
        super().__init__(f"Another variant of this product has the SKU {sku}.")


class UnknownVariant(ProductError):
    def __init__(self) -> None:
        super().__init__("This product has no such variant.")


class InvalidOptions(ProductError):
    """Option groups or a variant's option values that cannot be."""

    field = "options"


class CombinationNotSold(ProductError):
    field = "options"

    def __init__(self, name: str, options: tuple[str, ...]) -> None:
        super().__init__(f"{', '.join((name, *options))} is not sold. Choose another option.")


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
    AddOptionGroup: (OptionGroupAdded, VariantChanged),
    ChangeOptionGroup: (OptionGroupChanged,),
    AddVariant: (VariantAdded, StockAdjusted),
    ChangeVariant: (VariantChanged,),
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


def _check_price(price: Money | None) -> None:
    if price is None:
        raise InvalidPrice("A variant needs a price.")
    if not price.amount.is_finite() or price.amount <= 0:
        raise InvalidPrice()
    if price.amount >= PRICE_LIMIT or price != price.rounded():
        raise InvalidPrice(f"A price is below {PRICE_LIMIT:,} with at most two decimals.")


def _check_stock(n: int) -> None:
    if n < 0:
        raise InvalidStock()
    if n > STOCK_MAX:
        raise InvalidStock(f"Stock is at most {STOCK_MAX:,}.")


def _check_weight(grams: int) -> None:
    if not 0 <= grams <= WEIGHT_MAX:
        raise InvalidWeight()


def _check_sku(state: Product, sku: str, variant_id: UUID) -> None:
    if len(sku) > SKU_MAX or not _SKU.fullmatch(sku):
        raise InvalidSku()
    if any(v.sku.casefold() == sku.casefold() and v.id != variant_id for v in state.variants):
        raise DuplicateSku(sku)


def _check_group(state: Product, name: str, values: tuple[str, ...], position: int) -> None:
    if not name.strip() or len(name) > OPTION_MAX or "\x00" in name:
        raise InvalidOptions(f"An option group needs a name of 1 to {OPTION_MAX} characters.")
    others = [g.name.casefold() for i, g in enumerate(state.option_groups) if i != position]
    if name.strip().casefold() in others:
        raise InvalidOptions(f"This product has an option group named {name} already.")
    if not values:
        raise InvalidOptions(f"{name} needs at least one value (for example 250 g, 500 g).")
    if len(values) > OPTION_VALUES_MAX:
        raise InvalidOptions(f"{name} has at most {OPTION_VALUES_MAX} values.")
    for value in values:
        if not value.strip() or len(value) > OPTION_MAX or "\x00" in value or "," in value:
            raise InvalidOptions(
                f"A value of {name} is 1 to {OPTION_MAX} characters, without a comma."
            )
    if len({v.casefold() for v in values}) != len(values):
        raise InvalidOptions(f"{name} has a value twice.")


def _check_options(state: Product, options: tuple[str, ...], variant_id: UUID) -> None:
    """One known value per group, and a combination no other variant has."""
    if len(options) != len(state.option_groups):
        names = ", ".join(g.name for g in state.option_groups)
        raise InvalidOptions(
            f"Choose one value of each option: {names}."
            if names
            else "This product has no options to choose."
        )
    for group, value in zip(state.option_groups, options, strict=True):
        if value not in group.values:
            raise InvalidOptions(f"{value[:60]!r} is not a {group.name} of this product.")
    other = state.variant_with(options)
    if other is not None and other.id != variant_id:
        raise InvalidOptions(
            f"Another variant ({other.sku}) is sold as {', '.join(options)} already."
        )


def _variant(state: Product, variant_id: UUID | None) -> Variant:
    variant = state.variant(variant_id)
    if variant is None:
        raise UnknownVariant()
    return variant


def decide(command: Command, state: Product) -> list[Event]:
    match command, state:
        case ListProduct(), Product(listed=True):
            raise ProductAlreadyListed()
        case ListProduct(slug=slug), _ if len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
            raise InvalidSlug()
        case ListProduct(), _:
            _check_details(command.name, command.description, command.category)
            _check_price(command.price)
            _check_weight(command.weight_grams)
            sku = command.sku or command.slug.upper()
            _check_sku(state, sku, command.variant_id)
            return [
                ProductListed(
                    name=command.name,
                    slug=command.slug,
                    category=command.category,
                    description=command.description,
                    price=command.price,
                    variant_id=command.variant_id,
                    sku=sku,
                    weight_grams=command.weight_grams,
                )
            ]
        case _, Product(listed=False):
            raise ProductNotListed()
        case ReleaseStock(quantity=q), _ if q < 1:
            raise InvalidStock()
        case ReleaseStock(quantity=q, order_id=order_id), _:
            # Stock comes back from a cancelled order even after the product is delisted.
            v = _variant(state, command.variant_id)
            return [
                StockReleased(variant_id=v.id, quantity=q, order_id=order_id, on_hand=v.on_hand + q)
            ]
        case ReserveStock(), Product(delisted=True):
            raise ProductNotListed()
        case ReserveStock(quantity=q), _ if q < 1:
            raise InvalidStock()
        case ReserveStock(quantity=q, order_id=order_id), _:
            v = _variant(state, command.variant_id)
            if q > v.on_hand:
                raise InsufficientStock(state.title(v), v.on_hand)
            return [
                StockReserved(variant_id=v.id, quantity=q, order_id=order_id, on_hand=v.on_hand - q)
            ]
        # Staff commands: a delisted product can still be edited, and relisted.
        case ChangeProductDetails(name=name, description=description, category=category), _:
            _check_details(name, description, category)
            if (name, description, category) == state.details():
                return []
            return [ProductDetailsChanged(name=name, description=description, category=category)]
        case ChangePrice(price=price), _:
            v = _variant(state, command.variant_id)
            _check_price(price)
            if price == v.price:
                return []
            return [ProductPriceChanged(variant_id=v.id, price=price, previous=v.price)]
        case AdjustStock(on_hand=n, reason=reason), _:
            v = _variant(state, command.variant_id)
            _check_stock(n)
            if command.expected is not None and command.expected != v.on_hand:
                raise StaleStock(v.on_hand)
            if n == v.on_hand:
                return []
            return [StockAdjusted(variant_id=v.id, on_hand=n, delta=n - v.on_hand, reason=reason)]
        case DelistProduct(), _:
            return [] if state.delisted else [ProductDelisted()]
        case RelistProduct(), _:
            return [ProductRelisted()] if state.delisted else []
        case AddOptionGroup(name=name, values=values), _:
            if len(state.option_groups) >= OPTION_GROUPS_MAX:
                raise InvalidOptions(f"A product has at most {OPTION_GROUPS_MAX} option groups.")
            position = len(state.option_groups)
            _check_group(state, name, values, position)
            added = OptionGroupAdded(position=position, name=name.strip(), values=values)
            return [
                added,
                *(
                    VariantChanged(
                        variant_id=v.id,
                        sku=v.sku,
                        weight_grams=v.weight_grams,
                        options=(*v.options, values[0]),
                    )
                    for v in state.variants
                ),
            ]
        case ChangeOptionGroup(position=position, name=name, values=values), _:
            if not 0 <= position < len(state.option_groups):
                raise InvalidOptions("This product has no such option group.")
            _check_group(state, name, values, position)
            in_use = {v.options[position] for v in state.variants}
            gone = sorted(in_use - set(values))
            if gone:
                raise InvalidOptions(
                    f"A variant is sold as {gone[0]}: change or remove that variant first."
                )
            group = state.option_groups[position]
            if (group.name, group.values) == (name.strip(), values):
                return []
            return [OptionGroupChanged(position=position, name=name.strip(), values=values)]
        case AddVariant(variant_id=variant_id), _ if state.variant(variant_id) is not None:
            raise InvalidSku("This variant exists already.")
        case AddVariant(), _ if len(state.variants) >= VARIANTS_MAX:
            raise InvalidOptions(f"A product has at most {VARIANTS_MAX} variants.")
        case AddVariant(variant_id=variant_id, sku=sku, price=price, options=options), _:
            _check_sku(state, sku, variant_id)
            _check_price(price)
            _check_weight(command.weight_grams)
            _check_stock(command.on_hand)
            _check_options(state, options, variant_id)
            added = VariantAdded(
                variant_id=variant_id,
                sku=sku,
                price=price,
                weight_grams=command.weight_grams,
                options=tuple(options),
            )
            if not command.on_hand:
                return [added]
            stock = StockAdjusted(
                variant_id=variant_id,
                on_hand=command.on_hand,
                delta=command.on_hand,
                reason="opening stock",
            )
            return [added, stock]
        case ChangeVariant(variant_id=variant_id, sku=sku, options=options), _:
            v = _variant(state, variant_id)
            _check_sku(state, sku, variant_id)
            _check_weight(command.weight_grams)
            _check_options(state, options, variant_id)
            if (v.sku, v.weight_grams, v.options) == (sku, command.weight_grams, tuple(options)):
                return []
            return [
                VariantChanged(
                    variant_id=variant_id,
                    sku=sku,
                    weight_grams=command.weight_grams,
                    options=tuple(options),
                )
            ]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Product, event: Event) -> Product:
    match event:
        case ProductListed():
            default = Variant(
                id=event.variant_id,
                sku=event.sku,
                price=event.price,
                weight_grams=event.weight_grams,
            )
            return replace(
                state,
                listed=True,
                name=event.name,
                slug=event.slug,
                description=event.description,
                category=event.category,
                variants=(default,),
            )
        case ProductDetailsChanged(name=name, description=description, category=category):
            return replace(state, name=name, description=description, category=category)
        case ProductPriceChanged(variant_id=v, price=price):
            variant = state.variant(v)
            return state._with_variant(replace(variant, price=price)) if variant else state
        case (
            StockAdjusted(variant_id=v, on_hand=n)
            | StockReserved(variant_id=v, on_hand=n)
            | StockReleased(variant_id=v, on_hand=n)
        ):
            variant = state.variant(v)
            return state._with_variant(replace(variant, on_hand=n)) if variant else state
        case ProductDelisted():
            return replace(state, delisted=True)
        case ProductRelisted():
            return replace(state, delisted=False)
        case OptionGroupAdded(name=name, values=values):
            return replace(state, option_groups=(*state.option_groups, OptionGroup(name, values)))
        case OptionGroupChanged(position=position, name=name, values=values):
            groups = list(state.option_groups)
            if 0 <= position < len(groups):
                groups[position] = OptionGroup(name, values)
            return replace(state, option_groups=tuple(groups))
        case VariantAdded():
            variant = Variant(
                id=event.variant_id,
                sku=event.sku,
                price=event.price,
                weight_grams=event.weight_grams,
                options=event.options,
            )
            return state._with_variant(variant)
        case VariantChanged(variant_id=v, sku=sku, weight_grams=grams, options=options):
            variant = state.variant(v)
            if variant is None:
                return state
            return state._with_variant(
                replace(variant, sku=sku, weight_grams=grams, options=options)
            )
        case _:
            return state
