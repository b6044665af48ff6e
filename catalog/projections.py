"""What product events do to the Product read model (the product stream's row).

``shop.projections`` applies it live and in batch and keeps the row at the stream's
version: an event seen again changes nothing.
"""

from catalog.domain import (
    ProductDelisted,
    ProductDetailsChanged,
    ProductListed,
    ProductPriceChanged,
    ProductRelisted,
    ProductTaxClassChanged,
    StockAdjusted,
    StockReleased,
    StockReserved,
)
from shop.eventstore import RecordedEvent
from shop.projections import Change, StreamRow


def product_rows(event, recorded: RecordedEvent) -> tuple[Change, ...]:
    match event:
        case ProductListed():
            listed = {
                "slug": event.slug,
                "name": event.name,
                "description": event.description,
                "category_id": event.category or None,
                "price": event.price.amount,
                "currency": event.price.currency,
            }
            return (StreamRow(set=listed),)
        case ProductDetailsChanged(name=name, description=description, category=category):
            details = {"name": name, "description": description, "category_id": category or None}
            return (StreamRow(set=details),)
        case ProductPriceChanged(price=price):
            return (StreamRow(set={"price": price.amount, "currency": price.currency}),)
        case StockAdjusted(on_hand=n) | StockReserved(on_hand=n) | StockReleased(on_hand=n):
            return (StreamRow(set={"stock": n}),)
        case ProductTaxClassChanged(tax_class=tax_class):
            return (StreamRow(set={"tax_class": tax_class.value}),)
        case ProductDelisted():
            return (StreamRow(set={"is_listed": False}),)
        case ProductRelisted():
            return (StreamRow(set={"is_listed": True}),)
    return ()
