"""Catalog read side: categories (plain rows), the Product projection, product pictures."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce, Replace
from django.urls import reverse

from shop.money import Money

LOW_STOCK = 5  # at or below this many units the shop says how many are left


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


class OnPostgreSQL(models.Expression):
    """An expression PostgreSQL computes; other databases get NULL (SQLite has no tsvector)."""

    def __init__(self, expression, output_field=None):
        super().__init__(output_field=output_field)
        self.expression = expression

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, exprs):
        (self.expression,) = exprs

    def as_sql(self, compiler, connection):
        if connection.vendor == "postgresql":
            return compiler.compile(self.expression)
        return "NULL", []


# What full-text search reads (catalog/search.py): the name weighs most, then the category
# (its slug's words), then the description; stemmed in English.
SEARCH_DOCUMENT = OnPostgreSQL(
    SearchVector("name", weight="A", config="english")
    + SearchVector(
        Replace(Coalesce("category_id", models.Value("")), models.Value("-"), models.Value(" ")),
        weight="B",
        config="english",
    )
    + SearchVector("description", weight="C", config="english"),
    output_field=SearchVectorField(),
)


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
    search_document = models.GeneratedField(
        expression=SEARCH_DOCUMENT,
        output_field=SearchVectorField(null=True),
        db_persist=True,
        help_text="Name, category and description for full-text search (PostgreSQL only).",
    )

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
        """The default variant's price."""
        return Money(Decimal(self.price), self.currency)

    @property
    def price_range(self) -> tuple[Money, Money]:
        """The lowest and highest variant price (annotated by ``with_price_range``)."""
        low = getattr(self, "price_from", None)
        high = getattr(self, "price_to", None)
        low = self.price if low is None else low
        high = self.price if high is None else high
        return (
            Money(Decimal(str(low)), self.currency).rounded(),
            Money(Decimal(str(high)), self.currency).rounded(),
        )

    @property
    def prices_differ(self) -> bool:
        low, high = self.price_range
        return low != high

    @staticmethod
    def shop_currency() -> str:
        return settings.SHOP_CURRENCY

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def can_be_bought(self) -> bool:
        return self.is_listed and self.in_stock

    @property
    def stock_label(self) -> str:
        """Stock in words: exact counts only when few are left."""
        if not self.is_listed:
            return "No longer sold"
        if self.stock <= 0:
            return "Out of stock"
        if self.stock <= LOW_STOCK:
            return f"Only {self.stock} left"
        return "In stock"

    @property
    def variant_list(self) -> list["ProductVariant"]:
        """Its variants in the order they were added (``prefetch_related("variants")``)."""
        return list(self.variants.all())

    @property
    def option_group_list(self) -> list["ProductOptionGroup"]:
        return list(self.option_groups.all())

    @property
    def main_image(self) -> "ProductImage | None":
        """The first picture; reads ``prefetch_related("images")`` when the caller did."""
        return next(iter(self.images.all()), None)

    @property
    def gallery(self) -> list["ProductImage"]:
        return list(self.images.all())

    @property
    def hue(self) -> int:
        """A stable colour for the generated placeholder picture."""
        return self.id.int % 360


def with_price_range(products: models.QuerySet) -> models.QuerySet:
    """Products with their lowest and highest variant price (``price_from``, ``price_to``)
    and whether they have options (``has_options``): subqueries in the same statement, so
    a page of products is still one query."""
    variants = ProductVariant.objects.filter(product_id=models.OuterRef("pk")).values("price")
    groups = ProductOptionGroup.objects.filter(product_id=models.OuterRef("pk"))
    return products.annotate(
        price_from=models.Subquery(variants.order_by("price")[:1]),
        price_to=models.Subquery(variants.order_by("-price")[:1]),
        has_options=models.Exists(groups),
    )


class ProductOptionGroup(models.Model):
    """An option group of a product (Size: 250 g, 500 g, 1 kg), kept by the projection."""

    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="option_groups"
    )
    position = models.PositiveSmallIntegerField(help_text="0: the first group.")
    name = models.CharField(max_length=50)
    values = models.JSONField(default=list, help_text="Its values, in order.")

    class Meta:
        verbose_name = "option group"
        verbose_name_plural = "option groups"
        ordering = ["product", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "position"], name="optiongroup_product_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}: {', '.join(self.values)}"

    @property
    def field_name(self) -> str:
        """The form field (and query parameter) that chooses a value of this group."""
        return f"option-{self.position + 1}"


class ProductVariant(models.Model):
    """One combination of option values that is sold, kept by ``catalog.projections``."""

    id = models.UUIDField(
        primary_key=True, help_text="The variant's id (the default one: the product's id)."
    )
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="variants"
    )
    sku = models.CharField("SKU", max_length=64)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    stock = models.IntegerField(default=0, help_text="Units on hand, not yet reserved.")
    weight_grams = models.PositiveIntegerField(default=0, help_text="Weight in grams.")
    options = models.JSONField(default=list, help_text="One value per option group, in order.")
    label = models.CharField(max_length=200, blank=True, help_text='"500 g, Filter".')
    position = models.BigIntegerField(default=0, help_text="The event that added it: its order.")

    class Meta:
        verbose_name = "variant"
        verbose_name_plural = "variants"
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="variant_stock_gte_0"),
        ]
        indexes = [
            models.Index(fields=["product", "price"], name="variant_product_price_idx"),
            models.Index(fields=["product", "position"], name="variant_product_position_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ({self.label or 'default'})"

    @property
    def unit_price(self) -> Money:
        return Money(Decimal(self.price), self.currency)

    @property
    def title(self) -> str:
        """ "Brazil Cerrado, 500 g, Filter" (reads ``product``: select it with the variant)."""
        return ", ".join((self.product.name, *self.options))

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def stock_label(self) -> str:
        if not self.product.is_listed:
            return "No longer sold"
        if self.stock <= 0:
            return "Out of stock"
        if self.stock <= LOW_STOCK:
            return f"Only {self.stock} left"
        return "In stock"


@dataclass(frozen=True, slots=True)
class Rendition:
    """One kind of copy of a picture, ready for an ``<img>``: src, srcset, sizes and size."""

    src: str
    srcset: str
    sizes: str
    width: int
    height: int


def _picture_path(instance: "ProductImage", filename: str) -> str:
    return f"products/originals/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:8]}"


class ProductImage(models.Model):
    """A picture of a product, uploaded by staff; the shop serves resized WebP copies.

    Staff data beside the event-sourced product (pictures are files, not facts about the
    product's price or stock), so it lives in plain rows keyed by the product's stream id.
    """

    product = models.ForeignKey(
        Product,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="images",
        help_text="The product's stream id.",
    )
    image = models.ImageField(
        upload_to=_picture_path,
        width_field="width",
        height_field="height",
        help_text="JPEG, PNG, WebP or GIF; resized copies are made when it is saved.",
    )
    alt = models.CharField(
        "text alternative",
        max_length=200,
        blank=True,
        help_text="What the picture shows, for people who cannot see it. Empty: the name.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="The first picture (lowest position) is the product's main one."
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    copies = models.JSONField(default=dict, editable=False, help_text="The resized copies.")

    class Meta:
        verbose_name = "product picture"
        verbose_name_plural = "product pictures"
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="productimage_product_idx")]

    def __str__(self) -> str:
        return f"Picture {self.position} of {self.product_id}"

    def save(self, *args, **kwargs):
        from catalog.images import delete_after_commit, make_copies

        replaced: list[str] = []
        if self.image and self.copies.get("source") != self.image.name:
            replaced = self.stored_names()  # a new upload: the old files go once it commits
            stored = self.image.storage
            if not self.image._committed:
                self.image.save(self.image.name, self.image.file, save=False)
            with stored.open(self.image.name) as source:
                made = make_copies(source, stem=Path(self.image.name).stem, storage=stored)
            self.copies = {
                "source": self.image.name,
                **{kind: [[c.width, c.height, c.name] for c in made[kind]] for kind in made},
            }
        super().save(*args, **kwargs)
        if replaced:
            delete_after_commit(self.image.storage, replaced)

    def stored_names(self) -> list[str]:
        """The storage names of this picture's files: the upload and its resized copies."""
        names = [self.copies["source"]] if self.copies.get("source") else []
        for kind, made in self.copies.items():
            if kind != "source":
                names += [name for _, _, name in made]
        return names

    def _rendition(self, kind: str) -> Rendition:
        from catalog.images import SIZES

        storage = self.image.storage
        made = self.copies.get(kind) or []
        if not made:
            url = self.image.url
            return Rendition(url, "", "", self.width, self.height)
        width, height, name = made[0]
        srcset = ", ".join(f"{storage.url(n)} {w}w" for w, _, n in made)
        return Rendition(storage.url(name), srcset, SIZES[kind], width, height)

    @property
    def thumb(self) -> Rendition:
        return self._rendition("thumb")

    @property
    def large(self) -> Rendition:
        return self._rendition("large")

    @property
    def largest(self) -> Rendition:
        """The largest copy alone (no srcset): what a shared link or a search result shows."""
        made = self.copies.get("large") or []
        if not made:
            return Rendition(self.image.url, "", "", self.width, self.height)
        width, height, name = made[-1]
        return Rendition(self.image.storage.url(name), "", "", width, height)
