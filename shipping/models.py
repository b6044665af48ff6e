"""Shipping methods and VAT rates: configuration staff edit in the admin (not events).

What an order charged is copied into its ``OrderPlaced``, so changing a method or a rate
here never changes an order placed before.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_countries.fields import CountryField

from shipping.rates import Kind, MethodTerms
from shop.money import Money, TaxClass

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class ShippingMethod(models.Model):
    """A way to ship: its price (flat, or by weight band), "free from", and where it goes."""

    class Kind(models.TextChoices):
        FLAT = Kind.FLAT.value, "Flat rate"
        WEIGHT = Kind.WEIGHT.value, "By weight band"

    name = models.CharField(max_length=100, help_text="What shoppers see, e.g. Standard.")
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.FLAT)
    price = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text="The flat rate, VAT included, in the shop's currency (weight bands: unused).",
    )
    free_from = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Free when the goods cost at least this, after discounts. Empty: never free.",
    )
    countries = CountryField(
        multiple=True, blank=True, help_text="The countries this method ships to."
    )
    everywhere_else = models.BooleanField(
        default=False,
        help_text="Also ship to every country that no other active method lists.",
    )
    delivery_estimate = models.CharField(
        max_length=100, blank=True, help_text="Shown beside the price, e.g. 2–4 working days."
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower comes first.")
    active = models.BooleanField(default=True, help_text="Offered at checkout.")

    class Meta:
        verbose_name = "shipping method"
        verbose_name_plural = "shipping methods"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        where = ", ".join(c.code for c in self.countries[:5]) if self.countries else ""
        if self.everywhere_else:
            where = f"{where} + everywhere else" if where else "everywhere else"
        return f"{self.name} ({where or 'nowhere'})"

    def terms(self, bands=None) -> MethodTerms:
        currency = settings.SHOP_CURRENCY
        bands = self.bands.all() if bands is None else bands
        return MethodTerms(
            id=self.pk,
            name=self.name,
            kind=Kind(self.kind),
            price=Money(self.price, currency),
            free_from=None if self.free_from is None else Money(self.free_from, currency),
            bands=tuple(
                (band.up_to_grams, Money(band.price, currency))
                for band in sorted(bands, key=lambda b: b.up_to_grams)
            ),
            estimate=self.delivery_estimate,
        )


class WeightBand(models.Model):
    """A weight-band method's price for parcels up to a weight."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="bands")
    up_to_grams = models.PositiveIntegerField(help_text="Parcels up to this weight, in grams.")
    price = models.DecimalField(**MONEY, help_text="VAT included.")

    class Meta:
        verbose_name = "weight band"
        verbose_name_plural = "weight bands"
        ordering = ["method", "up_to_grams"]
        constraints = [
            models.UniqueConstraint(fields=["method", "up_to_grams"], name="weightband_unique")
        ]

    def __str__(self) -> str:
        return f"up to {self.up_to_grams} g: {self.price}"


class VatRate(models.Model):
    """The VAT rate a tax class pays in a country; an empty country: every other country."""

    country = CountryField(
        blank=True, help_text="Empty: the rate for every country without a row of its own."
    )
    tax_class = models.CharField(max_length=16, choices=[(c.value, c.label) for c in TaxClass])
    rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent: 7 is 7 %.",
    )

    class Meta:
        verbose_name = "VAT rate"
        verbose_name_plural = "VAT rates"
        ordering = ["country", "tax_class"]
        constraints = [
            models.UniqueConstraint(fields=["country", "tax_class"], name="vatrate_unique"),
            models.CheckConstraint(
                condition=models.Q(rate__gte=0, rate__lte=100), name="vatrate_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        where = self.country.name if self.country else "every other country"
        return f"{self.get_tax_class_display()} in {where}: {self.rate.normalize():f} %"
