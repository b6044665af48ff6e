"""Run the worker's jobs by hand in a test, without threads."""

from django.db import connection

from shop.models import Event
from subscriptions import core, emails


def safe_mark() -> int:
    """In a test's own transaction (``db``) nothing else writes: the head is final."""
    from shop.highwater import HighWaterMark

    if connection.in_atomic_block:
        return Event.objects.order_by("-position").values_list("position", flat=True).first() or 0
    mark = HighWaterMark()
    mark.poll()
    return mark.poll()


def drain(*, send: bool = True) -> None:
    """Every subscriber catches up with the log; then every due email is sent."""
    up_to = safe_mark()
    for subscriber in core.subscribers():
        while core.run_batch(subscriber, up_to=up_to) < up_to:
            pass
    if send:
        emails.send_due()
