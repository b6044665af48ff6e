"""Payments: the shop's record of each payment attempt, and the test gateway's own ledger."""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from shop.money import Money


class Payment(models.Model):
    """One payment attempt, keyed by the id its payment form carried (the idempotency key).

    Written before the provider is asked, so a double click finds the first request's row,
    and at most one attempt per order is live (under way or captured): a database
    constraint, like checkout's command ids. Holds no card data at all.
    """

    class Status(models.TextChoices):
        STARTED = "started", "Started"  # the provider is being asked to authorize
        AUTHORIZED = "authorized", "Authorized"  # recorded; the capture is under way
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"

    LIVE = (Status.STARTED, Status.AUTHORIZED, Status.CAPTURED)

    payment_id = models.UUIDField(primary_key=True, help_text="The payment form's id.")
    order_id = models.UUIDField(db_index=True, help_text="The order stream it pays.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status, default=Status.STARTED)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it failed (a code).")
    authorization = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "payment"
        verbose_name_plural = "payments"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_id"],
                condition=Q(status__in=["started", "authorized", "captured"]),
                name="payment_one_live_per_order",
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="payment_status_idx")]

    def __str__(self) -> str:
        return f"Payment {self.payment_id} ({self.get_status_display()})"

    @property
    def money(self) -> Money:
        return Money(Decimal(self.amount), self.currency)


class GatewayOperation(models.Model):
    """The test gateway's ledger: what a provider keeps on its side, one row per call,
    keyed by the call's idempotency key. No card data: not the number, not its digits."""

    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", "Authorize"
        CAPTURE = "capture", "Capture"
        REFUND = "refund", "Refund"

    key = models.CharField(max_length=120, primary_key=True, help_text="The idempotency key.")
    kind = models.CharField(max_length=16, choices=Kind)
    reference = models.CharField(max_length=80, unique=True)
    parent = models.CharField(
        max_length=80,
        blank=True,
        help_text="The authorization a capture takes, the capture a refund returns.",
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    approved = models.BooleanField()
    decline = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "test gateway operation"
        verbose_name_plural = "test gateway operations"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent"],
                condition=Q(kind="capture", approved=True),
                name="gateway_one_capture_per_authorization",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"
