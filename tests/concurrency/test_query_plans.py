"""The hot queries use their indexes on a large table (PostgreSQL's planner, not a guess)."""

import uuid

import pytest
from django.db import connection

from shop.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

FILLER = 200_000


@pytest.fixture
def big_log():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO shop_event (stream_type, stream_id, version, event_type,
                schema_version, data, metadata, recorded_at)
            SELECT 'cart', md5('plan' || (i / 10)::text)::uuid, i %% 10 + 1, 'ItemAdded', 1,
                '{}'::jsonb, '{}'::jsonb, now()
            FROM generate_series(0, %s) AS i
            """,
            [FILLER - 1],
        )
        cursor.execute("ANALYZE shop_event")


def plan(queryset) -> str:
    return queryset.explain()


def test_loading_a_stream_uses_the_stream_version_index(big_log):
    stream = uuid.uuid4()
    text = plan(Event.objects.filter(stream_id=stream, version__gt=100).order_by("version"))
    assert "event_stream_version_unique" in text
    assert "Seq Scan" not in text


def test_the_event_list_newest_first_reads_the_primary_key_backwards(big_log):
    text = plan(Event.objects.order_by("-position")[:50])
    assert "Index Scan Backward" in text
    assert "Seq Scan" not in text


def test_filtering_events_by_type_uses_an_index(big_log):
    text = plan(
        Event.objects.filter(stream_type="cart", event_type="ItemRemoved").order_by("-position")[
            :50
        ]
    )
    assert "Seq Scan" not in text
