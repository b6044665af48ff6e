"""Money: a Decimal amount with its currency, VAT, and the shop's one rounding rule.

Pure Python, no Django.

**The rounding rule.** Amounts are ``Decimal``, never float. Every amount the shop shows or
stores is rounded to the currency's minor unit (cents) half up (``ROUND_HALF_UP``), once,
where it is derived: a line total (unit price × quantity), a discount (a percentage of the
subtotal), the VAT included in the amount charged at one rate (``vat_included``). Amounts
made of rounded amounts are added and subtracted exactly. Where one amount is split over
several VAT rates (a discount, the shipping), ``allocate`` splits it in proportion to the
weights by the largest remainder method, so the shares add up to the whole to the cent.
So line totals − discount + shipping = total, and the amounts charged per rate add up to
the total, always (``tests/unit/test_money_properties.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0}


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(str(self.amount)))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def rounded(self) -> Money:
        exponent = Decimal(1).scaleb(-MINOR_UNITS.get(self.currency, 2))
        return Money(self.amount.quantize(exponent, rounding=ROUND_HALF_UP), self.currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.rounded().amount} {self.currency}"


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (0.01 for EUR)."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


def allocate(whole: Money, weights: Sequence[Decimal]) -> list[Money]:
    """Split ``whole`` (a rounded amount) in proportion to ``weights``, to the cent.

    Each share is first rounded down; the cents left over go one each to the shares with
    the largest remainders (the earlier weight first on a tie). The shares always add up to
    ``whole``. With no positive weight everything goes to the first share.
    """
    if not weights:
        raise ValueError("nothing to allocate to")
    unit = minor_unit(whole.currency)
    total = sum(weights, Decimal(0))
    if total <= 0:
        return [whole] + [Money.zero(whole.currency)] * (len(weights) - 1)
    exact = [whole.amount * weight / total for weight in weights]
    shares = [amount.quantize(unit, rounding=ROUND_DOWN) for amount in exact]
    left = int((whole.amount - sum(shares, Decimal(0))) / unit)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += unit
    return [Money(amount, whole.currency) for amount in shares]


class TaxClass(StrEnum):
    """What VAT rate a product pays: each country's rates are per class (``vat.VatRate``)."""

    STANDARD = "standard"
    REDUCED = "reduced"

    @property
    def label(self) -> str:
        return {"standard": "Standard rate", "reduced": "Reduced rate"}[self.value]


def vat_included(gross: Money, rate: Decimal) -> Money:
    """The VAT inside ``gross``, an amount charged at ``rate`` percent VAT included, rounded."""
    return Money(gross.amount * rate / (Decimal(100) + rate), gross.currency).rounded()


def format_rate(rate: Decimal) -> str:
    """7 → "7 %", 5.5 → "5.5 %"."""
    return f"{rate.normalize():f} %"


@dataclass(frozen=True, slots=True, kw_only=True)
class VatLine:
    """The amount an order charged at one VAT rate (VAT included) and the VAT in it."""

    rate: Decimal  # percent: 7 is 7 %
    gross: Money
    vat: Money

    @property
    def net(self) -> Money:
        return self.gross - self.vat

    @property
    def label(self) -> str:
        return f"incl. VAT {format_rate(self.rate)}"

    def __str__(self) -> str:
        return f"{self.label}: {self.vat}"
