"""Catalog read side: categories (plain rows) and the Product projection."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from shop.money import Money


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        verbose_name = "category"
        verbose_name_plural = "categories"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:home") + f"?category={self.slug}"


class Product(models.Model):
    """The read model of one product stream, kept by ``catalog.projections``."""

    id = models.UUIDField(primary_key=True, help_text="The product's stream id.")
    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        to_field="slug",
        related_name="products",
        null=True,
        db_constraint=False,
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    stock = models.IntegerField(default=0, help_text="Units on hand, not yet reserved.")
    is_listed = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=0, help_text="Last stream version applied.")
    last_position = models.BigIntegerField(default=0, help_text="Last event position applied.")

    class Meta:
        verbose_name = "product"
        verbose_name_plural = "products"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_gte_0"),
        ]
        indexes = [models.Index(fields=["is_listed", "name"], name="product_listed_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:product", kwargs={"slug": self.slug})

    @property
    def unit_price(self) -> Money:
        return Money(Decimal(self.price), self.currency)

    @staticmethod
    def shop_currency() -> str:
        return settings.SHOP_CURRENCY

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def hue(self) -> int:
        """A stable colour for the generated placeholder picture."""
        return self.id.int % 360
