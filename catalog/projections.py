"""What product events do to the Product read model (the product stream's row), its
variants (``ProductVariant``) and option groups (``ProductOptionGroup``).

The product row keeps the default variant's price (the default variant's id is the
product's) and the stock of every variant together; each variant row its own.

``shop.projections`` applies it live and in batch and keeps the row at the stream's
version: an event seen again changes nothing.
"""

from catalog.domain import (
    OptionGroupAdded,
    OptionGroupChanged,
    ProductDelisted,
    ProductDetailsChanged,
    ProductListed,
    ProductPriceChanged,
    ProductRelisted,
    StockAdjusted,
    StockReleased,
    StockReserved,
    VariantAdded,
    VariantChanged,
)
from catalog.models import ProductOptionGroup, ProductVariant
from shop.eventstore import RecordedEvent
from shop.projections import Change, StreamRow, Update, Upsert


def _variant(recorded: RecordedEvent, variant_id, sku, price, weight_grams, options) -> Upsert:
    return Upsert(
        ProductVariant,
        {"id": variant_id},
        {
            "product_id": recorded.stream_id,
            "sku": sku,
            "price": price.amount,
            "currency": price.currency,
            "stock": 0,
            "weight_grams": weight_grams,
            "options": list(options),
            "label": ", ".join(options),
            "position": recorded.position,
        },
    )


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
            default = _variant(
                recorded, event.variant_id, event.sku, event.price, event.weight_grams, ()
            )
            return StreamRow(set=listed), default
        case ProductDetailsChanged(name=name, description=description, category=category):
            details = {"name": name, "description": description, "category_id": category or None}
            return (StreamRow(set=details),)
        case ProductPriceChanged(variant_id=v, price=price):
            money = {"price": price.amount, "currency": price.currency}
            variant = Update(ProductVariant, {"id": v}, set=money)
            if v == recorded.stream_id:  # the default variant: the product's price
                return StreamRow(set=money), variant
            return (variant,)
        case StockAdjusted(variant_id=v, on_hand=n, delta=delta):
            return StreamRow(add={"stock": delta}), Update(
                ProductVariant, {"id": v}, set={"stock": n}
            )
        case StockReserved(variant_id=v, on_hand=n, quantity=q):
            return StreamRow(add={"stock": -q}), Update(ProductVariant, {"id": v}, set={"stock": n})
        case StockReleased(variant_id=v, on_hand=n, quantity=q):
            return StreamRow(add={"stock": q}), Update(ProductVariant, {"id": v}, set={"stock": n})
        case OptionGroupAdded(position=position, name=name, values=values):
            group = {"product_id": recorded.stream_id, "position": position}
            return (Upsert(ProductOptionGroup, group, {"name": name, "values": list(values)}),)
        case OptionGroupChanged(position=position, name=name, values=values):
            group = {"product_id": recorded.stream_id, "position": position}
            return (Update(ProductOptionGroup, group, set={"name": name, "values": list(values)}),)
        case VariantAdded():
            return (
                _variant(
                    recorded,
                    event.variant_id,
                    event.sku,
                    event.price,
                    event.weight_grams,
                    event.options,
                ),
            )
        case VariantChanged(variant_id=v, sku=sku, weight_grams=grams, options=options):
            changed = {
                "sku": sku,
                "weight_grams": grams,
                "options": list(options),
                "label": ", ".join(options),
            }
            return (Update(ProductVariant, {"id": v}, set=changed),)
        case ProductDelisted():
            return (StreamRow(set={"is_listed": False}),)
        case ProductRelisted():
            return (StreamRow(set={"is_listed": True}),)
    return ()
