"""The event log: one append-only table for every stream in the shop."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.json import KeyTextTransform


class ImmutableEventError(Exception):
    """Raised on any attempt to change or delete a stored event."""


def stream_row_reference(to: type[models.Model], *, related_name: str) -> models.ForeignKey:
    """A read-model row's reference to its stream's row (a cart line's cart, an order
    line's order): no database constraint, and no index of its own.

    Projections write a stream's rows after its own, and ``rebuild_projections --check``
    compares every row with the log; the constraint, checked once per row at a rebuild's
    commit, cost a tenth of the rebuild. The model's unique index that starts with the
    stream's key serves lookups by the stream.
    """
    return models.ForeignKey(
        to,
        on_delete=models.CASCADE,
        related_name=related_name,
        db_index=False,
        db_constraint=False,
    )


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableEventError("events are append-only: they cannot be updated")

    def delete(self):
        raise ImmutableEventError("events are append-only: they cannot be deleted")

    def _raw_delete(self, using):
        raise ImmutableEventError("events are append-only: they cannot be deleted")


class Event(models.Model):
    position = models.BigAutoField(
        primary_key=True, help_text="Global order of everything that happened."
    )
    stream_type = models.CharField(max_length=32, help_text="product, cart, order, coupon")
    stream_id = models.UUIDField(help_text="The aggregate this event belongs to.")
    version = models.PositiveIntegerField(help_text="1, 2, 3… within the stream.")
    event_type = models.CharField(max_length=64, help_text="The event's class name.")
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    metadata = models.JSONField(
        encoder=DjangoJSONEncoder,
        default=dict,
        help_text="Command id, correlation id, causation id, actor.",
    )
    recorded_at = models.DateTimeField()

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = "event"
        verbose_name_plural = "events"
        ordering = ["-position"]
        permissions = [
            ("view_personal_data", "Can see customers' personal data"),
            ("erase_personal_data", "Can erase a customer's personal data"),
        ]
        constraints = [
            # The optimistic lock: two writers that loaded the same version cannot both
            # append the next one.
            models.UniqueConstraint(
                fields=["stream_id", "version"], name="event_stream_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="event_version_gte_1"),
        ]
        indexes = [
            models.Index(fields=["recorded_at"], name="event_recorded_at_idx"),
            # The admin's filters, newest first: WHERE event_type = … ORDER BY position DESC.
            models.Index(fields=["event_type", "-position"], name="event_type_position_idx"),
            models.Index(fields=["stream_type", "-position"], name="event_stream_position_idx"),
            # Search by command or correlation id (the admin's search box).
            models.Index(KeyTextTransform("command_id", "metadata"), name="event_command_id_idx"),
            models.Index(
                KeyTextTransform("correlation_id", "metadata"), name="event_correlation_id_idx"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.position} {self.event_type} "
            f"({self.stream_type} {self.stream_id} v{self.version})"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableEventError("events are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("events are append-only: they cannot be deleted")


class Snapshot(models.Model):
    """An aggregate's state at one version of its stream: a cache, never the truth.

    ``shape`` fingerprints the state class; a snapshot written by another shape is ignored
    and the stream is replayed in full. Deleting every snapshot loses nothing.
    """

    stream_id = models.UUIDField(primary_key=True)
    stream_type = models.CharField(max_length=32)
    version = models.PositiveIntegerField()
    shape = models.CharField(max_length=64, help_text="Fingerprint of the state's class.")
    state = models.JSONField()
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "snapshot"
        verbose_name_plural = "snapshots"
        ordering = ["stream_id"]

    def __str__(self) -> str:
        return f"{self.stream_type} {self.stream_id} at v{self.version}"


class DataKey(models.Model):
    """One data subject's key for their personal data in events (``shop.personal``).

    The key is stored encrypted with the master key ``SHOP_DATA_KEY`` (``master`` names
    which). Erasure empties ``wrapped``: the subject's fields then read as "[erased]". The
    empty row stays, so no new key is ever made for an erased subject.
    """

    subject = models.CharField(
        max_length=80, primary_key=True, help_text="user:<id>, or the stream of a guest's order."
    )
    wrapped = models.BinaryField(null=True, help_text="Nonce and AES-GCM ciphertext of the key.")
    master = models.CharField(max_length=16, blank=True, help_text="Fingerprint of the master key.")
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "data key"
        verbose_name_plural = "data keys"
        ordering = ["subject"]

    def __str__(self) -> str:
        return f"{self.subject} ({'erased' if self.wrapped is None else 'key'})"
