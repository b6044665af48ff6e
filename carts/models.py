"""Cart read side: one summary row per cart stream and one row per line."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from shop.models import stream_row_reference
from shop.money import Money


class CartSummary(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CHECKED_OUT = "checked_out", "Checked out"
        MERGED = "merged", "Merged into another cart"

    cart_id = models.UUIDField(primary_key=True, help_text="The cart's stream id.")
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN)
    item_count = models.PositiveIntegerField(default=0)
    coupon_code = models.CharField(max_length=64, blank=True)
    order_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Last stream version applied.")
    last_position = models.BigIntegerField(default=0, help_text="Last event position applied.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "cart"
        verbose_name_plural = "carts"
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["status", "updated_at"], name="cart_status_updated_idx")]

    def __str__(self) -> str:
        return f"Cart {self.cart_id} ({self.get_status_display()}, {self.item_count} items)"


class CartLine(models.Model):
    cart = stream_row_reference(CartSummary, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    variant = models.ForeignKey(
        "catalog.ProductVariant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="The variant (a line per variant; the default one's id is the product's).",
    )
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price when the item was added."
    )
    currency = models.CharField(max_length=3)
    slot = models.BigIntegerField(
        default=0,
        help_text="Where the line shows in the cart: the position of the event that added it "
        "(an undone removal puts the line back in its old slot).",
    )

    class Meta:
        verbose_name = "cart line"
        verbose_name_plural = "cart lines"
        ordering = ["slot", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cartline_cart_variant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"

    # Read ``variant`` and ``product`` with the line (``select_related("variant__product")``
    # in carts.selectors): a line is priced, named and weighed by its variant.

    @property
    def title(self) -> str:
        """ "Brazil Cerrado, 500 g, Filter": the product's name and the variant's options."""
        return ", ".join((self.product.name, *self.variant.options))

    @property
    def unit_price_now(self) -> Money:
        return self.variant.unit_price

    @property
    def weight_grams(self) -> int:
        """One unit's weight in grams (the variant's, now)."""
        return self.variant.weight_grams

    @property
    def line_weight_grams(self) -> int:
        return self.variant.weight_grams * self.quantity

    @property
    def added_price(self) -> Money:
        return Money(Decimal(self.unit_price), self.currency)

    @property
    def price_changed(self) -> bool:
        """The variant's catalog price differs from the price the item was added at."""
        return self.added_price != self.variant.unit_price

    @property
    def line_total(self) -> Money:
        """At the current catalog price: the cart always totals at today's prices."""
        return (self.variant.unit_price * self.quantity).rounded()


class CustomerCart(models.Model):
    """Which open cart a logged-in customer has, so it follows them across browsers.

    Not a projection: the cart streams do not know who owns them. The row is written when a
    customer starts a cart or logs in with a guest cart, and removed by ``forget_cart``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="open_cart"
    )
    cart_id = models.UUIDField(unique=True, help_text="The customer's open cart stream.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "customer cart"
        verbose_name_plural = "customer carts"
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.cart_id}"


class Coupon(models.Model):
    """A discount staff manage in the admin. Redemptions are counted on its event stream.

    The stream is named by ``stream_id``, not by the code, so staff can change the code and
    the coupon keeps its redemptions (and its limit keeps holding).
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent off"
        FIXED = "fixed", "Fixed amount off"

    code = models.CharField(
        max_length=40, unique=True, help_text="Case-insensitive; stored in upper case."
    )
    stream_id = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="The coupon's event stream (its redemptions); stays when the code changes.",
    )
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.PERCENT)
    value = models.DecimalField(
        max_digits=10, decimal_places=2, help_text="Percent (10 = 10 %) or an amount."
    )
    minimum_subtotal = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited."
    )
    redemptions = models.PositiveIntegerField(
        default=0, editable=False, help_text="Kept by the coupon stream's projection."
    )

    class Meta:
        verbose_name = "coupon"
        verbose_name_plural = "coupons"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="coupon_value_gt_0"),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def terms(self):
        from carts.pricing import CouponTerms, DiscountKind

        return CouponTerms(
            code=self.code,
            kind=DiscountKind(self.kind),
            value=self.value,
            minimum_subtotal=self.minimum_subtotal,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            active=self.active,
        )


class CouponFailures(models.Model):
    """Refused coupon codes from one session or one address, for the guessing throttle.

    Not part of the event log: a counter that forgets, like django-axes' attempt records.
    See ``carts/throttle.py``.
    """

    key = models.CharField(
        max_length=100, primary_key=True, help_text='"session:<sha-256>" or "address:<ip>".'
    )
    since = models.DateTimeField(help_text="The first refusal of the current window.")
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "coupon failures"
        verbose_name_plural = "coupon failures"
        ordering = ["-since"]

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} since {self.since:%Y-%m-%d %H:%M}"
