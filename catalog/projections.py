"""The Product read model, kept in step with the product streams."""

from uuid import UUID

from catalog.domain import (
    ProductDelisted,
    ProductDetailsChanged,
    ProductListed,
    ProductPriceChanged,
    ProductRelisted,
    StockAdjusted,
    StockReleased,
    StockReserved,
)
from catalog.models import Product
from shop.eventstore import RecordedEvent, events_appended
from shop.projections import write_rows


def _listed(event: ProductListed) -> dict:
    """Every column a ``ProductListed`` sets, but the id and the version stamp."""
    return {
        "slug": event.slug,
        "name": event.name,
        "description": event.description,
        "category_id": event.category or None,
        "price": event.price.amount,
        "currency": event.price.currency,
        "stock": 0,
        "is_listed": True,
    }


def _changes(event: object) -> dict:
    """The columns any other product event changes."""
    match event:
        case ProductDetailsChanged(name=name, description=description, category=category):
            return {"name": name, "description": description, "category_id": category or None}
        case ProductPriceChanged(price=price):
            return {"price": price.amount, "currency": price.currency}
        case StockAdjusted(on_hand=n) | StockReserved(on_hand=n) | StockReleased(on_hand=n):
            return {"stock": n}
        case ProductDelisted():
            return {"is_listed": False}
        case ProductRelisted():
            return {"is_listed": True}
        case _:
            return {}


def project_product(recorded: RecordedEvent) -> None:
    stamp = {"version": recorded.version, "last_position": recorded.position}
    if isinstance(recorded.event, ProductListed):
        Product.objects.update_or_create(
            id=recorded.stream_id, defaults={**_listed(recorded.event), **stamp}
        )
        return
    Product.objects.filter(id=recorded.stream_id, version__lt=recorded.version).update(
        **_changes(recorded.event), **stamp
    )


def project_products(sender, events: list[RecordedEvent], **kwargs) -> None:
    if sender != "product":
        return
    for recorded in events:
        project_product(recorded)


def connect() -> None:
    events_appended.connect(project_products, dispatch_uid="catalog.project_products")


# --- Replay: the rows above, folded in memory for a whole log and written in bulk ----------


class ProductReplay:
    """``project_products`` over a whole log: one dict of columns per product, then COPY."""

    stream_types = frozenset({"product"})

    def __init__(self) -> None:
        self.products: dict[UUID, dict] = {}

    def apply(self, stream_type: str, events: list[RecordedEvent]) -> None:
        for recorded in events:
            stamp = {"version": recorded.version, "last_position": recorded.position}
            if isinstance(recorded.event, ProductListed):
                self.products[recorded.stream_id] = {**_listed(recorded.event), **stamp}
                continue
            row = self.products.get(recorded.stream_id)
            if row is not None and row["version"] < recorded.version:
                row.update(_changes(recorded.event), **stamp)

    def write(self) -> None:
        fields = ("slug", "name", "description", "category_id", "price", "currency", "stock")
        fields += ("is_listed", "version", "last_position")
        write_rows(
            Product,
            ("id", *fields),
            ((product_id, *(row[f] for f in fields)) for product_id, row in self.products.items()),
        )
