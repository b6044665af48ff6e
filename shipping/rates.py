"""Shipping prices and methods, as plain values. Pure Python, no Django.

Staff configure methods (``shipping.models``); ``shipping.services`` reads them into
``MethodTerms`` and asks this module what each costs for a cart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shop.money import Money


class Kind(StrEnum):
    FLAT = "flat"
    WEIGHT = "weight"


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodTerms:
    id: int
    name: str
    kind: Kind
    price: Money  # the flat rate (a weight-band method: unused)
    free_from: Money | None = None  # free when the goods cost at least this, after discounts
    bands: tuple[tuple[int, Money], ...] = ()  # (up to grams, price), lightest first
    estimate: str = ""

    def price_for(self, *, goods_total: Money, weight_grams: int) -> Money | None:
        """What this method charges for goods costing ``goods_total`` (after discounts) and
        weighing ``weight_grams``; None when it cannot carry them (heavier than every band).
        """
        if self.kind == Kind.WEIGHT:
            band = next((price for limit, price in self.bands if weight_grams <= limit), None)
            if band is None:
                return None
            price = band
        else:
            price = self.price
        if self.free_from is not None and goods_total >= self.free_from:
            return Money.zero(price.currency).rounded()
        return price.rounded()


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippingOffer:
    """A method offered for a cart and a country, at the price it charges for them."""

    method_id: int
    name: str
    price: Money
    estimate: str = ""
    free_from: Money | None = None

    @property
    def choice(self) -> str:
        """The radio button's value: the method and the price the shopper was shown."""
        return f"{self.method_id}@{self.price.amount}"
