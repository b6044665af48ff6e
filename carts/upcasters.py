"""Upcasters: old cart event payloads, read in today's shape.

``ItemAdded`` v1 stored ``unit_price`` as a plain decimal string, in the shop's currency;
v2 stores Money (``{"amount": "4.20", "currency": "EUR"}``).

Before variants a line named only its product (``ItemAdded`` v2, ``ItemQuantityChanged``,
``ItemRemoved`` and ``CartMerged``'s lines v1): it is the product's default variant, whose
id is the product's id.
"""

from typing import Any

from django.conf import settings

from shop.registry import upcaster


@upcaster("ItemAdded", from_version=1)
def item_added_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    price = data["unit_price"]
    if isinstance(price, dict):  # already Money
        return data
    return {**data, "unit_price": {"amount": str(price), "currency": settings.SHOP_CURRENCY}}


def _with_default_variant(data: dict[str, Any]) -> dict[str, Any]:
    return {"variant_id": data.get("product_id"), **data}


@upcaster("ItemAdded", from_version=2)
def item_added_v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return _with_default_variant(data)


@upcaster("ItemQuantityChanged", from_version=1)
def item_quantity_changed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return _with_default_variant(data)


@upcaster("ItemRemoved", from_version=1)
def item_removed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return _with_default_variant(data)


@upcaster("CartMerged", from_version=1)
def cart_merged_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    lines = data.get("lines") or ()
    return {
        **data,
        "lines": [_with_default_variant(line) for line in lines if isinstance(line, dict)],
    }
