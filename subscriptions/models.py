"""Subscriptions: checkpoints, parked events, the emails they send and the outbox."""

from django.conf import settings
from django.db import models


class Checkpoint(models.Model):
    """How far one subscriber has read the log. Moved in the same transaction as its writes."""

    name = models.CharField(max_length=64, primary_key=True)
    position = models.BigIntegerField(default=0, help_text="Every event up to here is handled.")
    updated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "subscriber"
        verbose_name_plural = "subscribers"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class ParkedEvent(models.Model):
    """An event a subscriber failed to handle: set aside so the others go on."""

    subscriber = models.CharField(max_length=64)
    position = models.BigIntegerField()
    event_type = models.CharField(max_length=64)
    error = models.TextField()
    parked_at = models.DateTimeField()

    class Meta:
        verbose_name = "parked event"
        verbose_name_plural = "parked events"
        ordering = ["parked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "position"], name="parked_event_subscriber_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber}: #{self.position} {self.event_type}"


class Email(models.Model):
    """One email to send, once: ``key`` says which (``order-confirmation:<order id>``)."""

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(help_text="Not tried again before this.")
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    parked_at = models.DateTimeField(
        null=True, blank=True, help_text="Given up on after its retries; staff can retry it."
    )

    class Meta:
        verbose_name = "email"
        verbose_name_plural = "emails"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="email_due_idx",
                condition=models.Q(sent_at__isnull=True, parked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"

    @property
    def message_id(self) -> str:
        """The same Message-ID on every try, so mail systems can tell a resend."""
        return f"<{self.key.replace(':', '.')}@bean-and-leaf>"


class OutboxMessage(models.Model):
    """An integration event, written with the event, relayed to RabbitMQ by the worker."""

    event_position = models.BigIntegerField(
        primary_key=True, help_text="The event's position: the message id."
    )
    routing_key = models.CharField(max_length=64)
    body = models.JSONField()
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox message"
        verbose_name_plural = "outbox messages"
        ordering = ["event_position"]
        indexes = [
            models.Index(
                fields=["event_position"],
                name="outbox_unpublished_idx",
                condition=models.Q(published_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.event_position} {self.routing_key}"


class EmailConsent(models.Model):
    """What a customer agreed to be emailed about, besides their orders."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="email_consent",
    )
    cart_reminders = models.BooleanField(
        default=False, help_text="A reminder about items left in the cart."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "email consent"
        verbose_name_plural = "email consents"
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.user}: cart reminders {'on' if self.cart_reminders else 'off'}"
