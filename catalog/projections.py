"""The Product read model, kept in step with the product streams."""

from catalog.domain import (
    ProductDelisted,
    ProductListed,
    ProductPriceChanged,
    StockAdjusted,
    StockReleased,
    StockReserved,
)
from catalog.models import Product
from shop.eventstore import RecordedEvent, events_appended


def project_product(recorded: RecordedEvent) -> None:
    stamp = {"version": recorded.version, "last_position": recorded.position}
    match recorded.event:
        case ProductListed() as e:
            Product.objects.update_or_create(
                id=recorded.stream_id,
                defaults={
                    "slug": e.slug,
                    "name": e.name,
                    "description": e.description,
                    "category_id": e.category or None,
                    "price": e.price.amount,
                    "currency": e.price.currency,
                    "stock": 0,
                    "is_listed": True,
                    **stamp,
                },
            )
            return
        case ProductPriceChanged(price=price):
            changes = {"price": price.amount, "currency": price.currency}
        case StockAdjusted(on_hand=n) | StockReserved(on_hand=n) | StockReleased(on_hand=n):
            changes = {"stock": n}
        case ProductDelisted():
            changes = {"is_listed": False}
        case _:
            changes = {}
    Product.objects.filter(id=recorded.stream_id, version__lt=recorded.version).update(
        **changes, **stamp
    )


def project_products(sender, events: list[RecordedEvent], **kwargs) -> None:
    if sender != "product":
        return
    for recorded in events:
        project_product(recorded)


def connect() -> None:
    events_appended.connect(project_products, dispatch_uid="catalog.project_products")
