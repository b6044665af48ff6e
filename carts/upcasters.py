"""Upcasters: old cart event payloads, read in today's shape.

``ItemAdded`` v1 stored ``unit_price`` as a plain decimal string, in the shop's currency;
v2 stores Money (``{"amount": "4.20", "currency": "EUR"}``).
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
