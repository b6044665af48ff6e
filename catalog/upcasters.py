"""Upcasters: product events stored before variants, read as the default variant's.

Before variants a product had one price and one stock figure. Those events (schema v1)
are read as being about the product's default variant, whose id is the product's own id
(the stream id), so no lookup is needed; its SKU is the slug in capitals, its weight
unknown (0 g). Nothing stored is rewritten.
"""

from typing import Any
from uuid import UUID

from shop.registry import upcaster


def _default_variant(stream_id: object) -> str:
    return str(UUID(str(stream_id)))


@upcaster("ProductListed", from_version=1)
def product_listed_v1_to_v2(data: dict[str, Any], stream_id: object) -> dict[str, Any]:
    return {
        **data,
        "variant_id": _default_variant(stream_id),
        "sku": str(data.get("slug", "")).upper(),
        "weight_grams": 0,
    }


def price_and_stock_v1_to_v2(data: dict[str, Any], stream_id: object) -> dict[str, Any]:
    return {**data, "variant_id": _default_variant(stream_id)}


for _name in ("ProductPriceChanged", "StockAdjusted", "StockReserved", "StockReleased"):
    upcaster(_name, from_version=1)(price_and_stock_v1_to_v2)
