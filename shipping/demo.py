"""The demo's shipping methods and VAT rates (``seed_demo``; the tests' shop has them too).

Standard (4.90 EUR, free from 50 EUR of goods) and Express (9.90 EUR) to the EU; Standard
(14.90 EUR) everywhere else. VAT: Germany's rates, 7 % (coffee and tea) and 19 % (gear),
for every country: a small shop under the EU's one-stop-shop threshold charges its home
country's VAT on every sale. Staff add a country's own rates when the shop passes it.
"""

from decimal import Decimal

from shipping.models import ShippingMethod, VatRate
from shop.money import TaxClass

EU = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]

METHODS = [
    # name, price, free from, countries, everywhere else, estimate
    ("Standard", "4.90", "50.00", EU, False, "2–4 working days"),
    ("Express", "9.90", None, EU, False, "1–2 working days"),
    ("Standard", "14.90", None, [], True, "5–10 working days"),
]

RATES = {TaxClass.REDUCED: Decimal(7), TaxClass.STANDARD: Decimal(19)}


def seed_shipping() -> bool:
    """Create the demo's methods and rates when there are none; True if it created any."""
    created = False
    if not ShippingMethod.objects.exists():
        for position, (name, price, free_from, where, elsewhere, estimate) in enumerate(METHODS):
            ShippingMethod.objects.create(
                name=name,
                price=Decimal(price),
                free_from=None if free_from is None else Decimal(free_from),
                countries=where,
                everywhere_else=elsewhere,
                delivery_estimate=estimate,
                position=position,
            )
        created = True
    if not VatRate.objects.exists():
        for country in ("DE", ""):
            for tax_class, rate in RATES.items():
                VatRate.objects.create(country=country, tax_class=tax_class.value, rate=rate)
        created = True
    return created
