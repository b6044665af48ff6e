"""What shipping and VAT a cart pays, read from the configuration staff keep.

The checkout service and the cart and checkout pages ask here: which methods serve a country
and what each costs a cart (``offers``), and which VAT rate each tax class pays there
(``vat_rates``).
"""

from collections.abc import Iterable
from decimal import Decimal

from django_countries import countries

from shipping.models import ShippingMethod, VatRate, WeightBand
from shipping.rates import MethodTerms, ShippingOffer
from shop.money import Money, TaxClass


def cart_weight(lines: Iterable) -> int:
    """What a cart's lines weigh, in grams: the one place shipping reads a weight.

    Lines without a weight (``weight_grams``, per unit) weigh nothing.
    """
    return sum(getattr(line, "weight_grams", 0) * line.quantity for line in lines)


def country_code(value: str) -> str:
    """The ISO 3166 code of a country given by its code or its English name; "" if none."""
    value = (value or "").strip()
    if len(value) == 2 and value.upper() in countries:
        return value.upper()
    return countries.by_name(value) or "" if value else ""


def country_name(code: str) -> str:
    """A country's name for people: the name of a known code, else the text as given."""
    return countries.name(code) or code if code and len(code) == 2 else code


def vat_rates(country: str) -> dict[TaxClass, Decimal]:
    """The rate each tax class pays in ``country``: its own rows, else every other country's.

    A class with no rate at all is left out (its lines then show no VAT breakdown).
    """
    code = country_code(country)
    rows = VatRate.objects.filter(country__in={code, ""}).values_list(
        "country", "tax_class", "rate"
    )
    rates: dict[TaxClass, Decimal] = {}
    for _where, tax_class, rate in sorted(rows, key=lambda row: row[0] != ""):  # general first
        rates[TaxClass(tax_class)] = rate  # a country's own row wins
    return rates


def methods_for(country: str) -> list[MethodTerms]:
    """The active methods that ship to ``country`` (a code or a name), in the staff's order.

    One query, and one more for the weight bands when a method is priced by weight.
    """
    code = country_code(country)
    methods = list(ShippingMethod.objects.filter(active=True))
    listed = [m for m in methods if code and code in {c.code for c in m.countries}]
    serving = listed or [m for m in methods if m.everywhere_else]
    by_weight = [m.pk for m in serving if m.kind == ShippingMethod.Kind.WEIGHT]
    bands: dict[int, list[WeightBand]] = {pk: [] for pk in by_weight}
    if by_weight:
        for band in WeightBand.objects.filter(method__in=by_weight):
            bands[band.method_id].append(band)
    return [method.terms(bands.get(method.pk, [])) for method in serving]


def offers(*, country: str, goods_total: Money, weight_grams: int) -> list[ShippingOffer]:
    """What each method serving ``country`` charges these goods, in the staff's order."""
    found = []
    for terms in methods_for(country):
        price = terms.price_for(goods_total=goods_total, weight_grams=weight_grams)
        if price is not None:
            found.append(
                ShippingOffer(
                    method_id=terms.id,
                    name=terms.name,
                    price=price,
                    estimate=terms.estimate,
                    free_from=terms.free_from,
                )
            )
    return found


def method_exists(method_id: int) -> bool:
    """Whether ``method_id`` names a shipping method at all (active or not)."""
    return ShippingMethod.objects.filter(pk=method_id).exists()
