"""Upcasters: old order event payloads, read in today's shape.

``OrderPlaced`` v1 lines named only their product: each is the product's default variant
(whose id is the product's), with no SKU or label recorded and an unknown weight (0 g).
"""

from typing import Any

from shop.registry import upcaster


@upcaster("OrderPlaced", from_version=1)
def order_placed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    lines = [
        {"variant_id": line["product_id"], "sku": "", "variant_label": "", "weight_grams": 0} | line
        for line in data.get("lines") or ()
        if isinstance(line, dict)
    ]
    return {**data, "lines": lines}
