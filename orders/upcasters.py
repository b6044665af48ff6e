"""Upcasters: old order event payloads, read in today's shape.

``OrderPlaced`` v1 had no shipping and no VAT: it reads as an order without shipping
(``shipping`` None: its total is the goods' total, as it was charged) whose VAT was not
recorded (``vat`` empty, each line's ``vat_rate`` None). Nothing is made up: the pages say
"VAT not itemised" for such an order rather than compute it from today's rates.
"""

from typing import Any

from shop.registry import upcaster


@upcaster("OrderPlaced", from_version=1)
def order_placed_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {"shipping": None, "vat": [], **data}
