"""Orders: the OrderSummary projection with its lines, and the checkout idempotency table."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from shop.models import stream_row_reference
from shop.money import Money, VatLine


class OrderSummary(models.Model):
    """The read model of one order stream, kept by ``orders.projections``."""

    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order_id = models.UUIDField(primary_key=True, help_text="The order's stream id.")
    status = models.CharField(max_length=16, choices=Status, default=Status.PLACED)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="orders",
        help_text="Empty for a guest.",
        db_index=False,  # the (customer, placed_at) index serves lookups by customer
    )
    placed_by = models.CharField(
        max_length=80, help_text="The actor who placed it: user:<id> or guest:<session shopper>."
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=100)
    cart_id = models.UUIDField()
    coupon_code = models.CharField(max_length=64, blank=True)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_method = models.CharField(
        max_length=100, blank=True, help_text="The shipping method's name at checkout."
    )
    shipping_price = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What shipping charged, VAT included; empty for orders placed before shipping.",
    )
    shipping_estimate = models.CharField(max_length=100, blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    item_count = models.PositiveIntegerField(default=0)
    captured = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), help_text="Payments captured."
    )
    refunded = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal(0), help_text="Refunds completed."
    )
    refund_pending = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        help_text="Refunds requested that the provider has not confirmed yet.",
    )
    placed_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=0, help_text="Last stream version applied.")
    last_position = models.BigIntegerField(default=0, help_text="Last event position applied.")

    class Meta:
        verbose_name = "order"
        verbose_name_plural = "orders"
        ordering = ["-placed_at"]
        indexes = [
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed_idx"),
            models.Index(fields=["status", "placed_at"], name="order_status_placed_idx"),
            # A guest's orders, by the session shopper who placed them (orders.session).
            models.Index(fields=["placed_by", "placed_at"], name="order_placed_by_idx"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", kwargs={"order_id": self.order_id})

    @property
    def number(self) -> str:
        """The short order number shown to people (the URL carries the whole id)."""
        return self.order_id.hex[:8].upper()

    def money(self, amount: Decimal) -> Money:
        return Money(Decimal(amount), self.currency)

    @property
    def subtotal_money(self) -> Money:
        return self.money(self.subtotal)

    @property
    def discount_money(self) -> Money:
        return self.money(self.discount)

    @property
    def total_money(self) -> Money:
        return self.money(self.total)

    @property
    def captured_money(self) -> Money:
        return self.money(self.captured)

    @property
    def refunded_money(self) -> Money:
        return self.money(self.refunded)

    @property
    def refundable_money(self) -> Money:
        """What staff may still refund: captured, less refunded and refunds under way."""
        return self.money(self.captured - self.refunded - self.refund_pending)

    @property
    def awaits_payment(self) -> bool:
        return self.status == self.Status.PLACED

    @property
    def shipping_money(self) -> Money | None:
        return None if self.shipping_price is None else self.money(self.shipping_price)

    @property
    def country_name(self) -> str:
        from shipping.services import country_name

        return country_name(self.country)


class OrderVat(models.Model):
    """The VAT an order's total included at one rate, as it was charged."""

    order = stream_row_reference(OrderSummary, related_name="vat")
    rate = models.DecimalField(max_digits=5, decimal_places=2, help_text="Percent.")
    gross = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the order charged at this rate."
    )
    vat = models.DecimalField(max_digits=12, decimal_places=2, help_text="The VAT in it.")
    currency = models.CharField(max_length=3)

    class Meta:
        verbose_name = "VAT per rate"
        verbose_name_plural = "VAT per rate"
        ordering = ["order", "rate"]
        constraints = [
            models.UniqueConstraint(fields=["order", "rate"], name="ordervat_order_rate_unique")
        ]

    def __str__(self) -> str:
        return str(self.line)

    @property
    def line(self) -> VatLine:
        return VatLine(
            rate=Decimal(self.rate),
            gross=Money(Decimal(self.gross), self.currency),
            vat=Money(Decimal(self.vat), self.currency),
        )


class OrderLine(models.Model):
    order = stream_row_reference(OrderSummary, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    variant_id = models.UUIDField(
        help_text="The variant sold (orders placed before variants: the product's id)."
    )
    sku = models.CharField("SKU", max_length=64, blank=True)
    name = models.CharField(max_length=200, help_text="The product's name at checkout.")
    variant_label = models.CharField(
        max_length=200, blank=True, help_text='The variant\'s options: "500 g, Filter".'
    )
    weight_grams = models.PositiveIntegerField(
        default=0, help_text="One unit's weight in grams at checkout (0: not recorded)."
    )
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The catalog price at checkout."
    )
    currency = models.CharField(max_length=3)
    vat_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The VAT rate charged, percent; empty for orders placed before VAT.",
    )
    refunded_quantity = models.PositiveIntegerField(default=0, help_text="Units refunded.")
    returned_quantity = models.PositiveIntegerField(
        default=0, help_text="Units received back (and put back in stock)."
    )

    class Meta:
        verbose_name = "order line"
        verbose_name_plural = "order lines"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "variant_id"], name="orderline_order_variant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def title(self) -> str:
        """ "Brazil Cerrado, 500 g, Filter"."""
        return f"{self.name}, {self.variant_label}" if self.variant_label else self.name

    @property
    def line_weight_grams(self) -> int:
        return self.weight_grams * self.quantity

    @property
    def unit_price_money(self) -> Money:
        return Money(Decimal(self.unit_price), self.currency)

    @property
    def price(self) -> Money:
        return self.unit_price_money

    @property
    def line_total(self) -> Money:
        return (self.unit_price_money * self.quantity).rounded()

    total = line_total


class OrderStep(models.Model):
    """One step of an order's story after it was placed, as the shopper's order page tells
    it (payment declined, paid, shipped, refunded, returned, cancelled), kept by
    ``orders.projections``. Its placing is the summary's ``placed_at`` (checkout writes no
    step: one statement less on the busiest command)."""

    class Kind(models.TextChoices):
        PLACED = "placed", "Placed"
        PAYMENT_FAILED = "payment_failed", "Payment declined"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        REFUNDED = "refunded", "Refunded"
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"

    order = stream_row_reference(OrderSummary, related_name="steps")
    version = models.PositiveIntegerField(help_text="The event's version in the order stream.")
    kind = models.CharField(max_length=16, choices=Kind)
    at = models.DateTimeField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    detail = models.CharField(max_length=300, blank=True, help_text="Card ending, reason.")
    units = models.CharField(
        max_length=2000,
        blank=True,
        help_text="The units a refund or return covers: '<product id>:<units>', space-separated.",
    )

    class Meta:
        verbose_name = "order step"
        verbose_name_plural = "order steps"
        ordering = ["order", "version"]
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="orderstep_order_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def amount_money(self) -> Money | None:
        return None if self.amount is None else Money(Decimal(self.amount), self.currency)

    def unit_counts(self) -> list[tuple[str, int]]:
        """(product id, units) of each line the step covers."""
        pairs = (part.split(":") for part in self.units.split())
        return [(product_id, int(count)) for product_id, count in pairs]


class CheckoutCommand(models.Model):
    """One row per checkout command id, written in the checkout's own transaction.

    The primary key makes a command id usable once: a double submit, two simultaneous
    posts or a reloaded form find the order the first one placed, across restarts and
    app processes.
    """

    command_id = models.UUIDField(primary_key=True, help_text="The id the checkout form carried.")
    cart_id = models.UUIDField(help_text="The cart it checked out.")
    order_id = models.UUIDField(unique=True, help_text="The order it placed.")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "checkout command"
        verbose_name_plural = "checkout commands"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Checkout {self.command_id} → order {self.order_id}"
