import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from carts.domain import ItemAdded, ItemRemoved
from shop import eventstore
from shop.eventstore import ConcurrencyError, events_appended
from shop.models import Event, ImmutableEventError
from shop.money import Money

pytestmark = pytest.mark.django_db

PRICE = Money(Decimal("4.20"), "EUR")


def item(n=1):
    return ItemAdded(
        product_id=uuid.UUID(int=n), variant_id=uuid.UUID(int=n), quantity=n, unit_price=PRICE
    )


def append(stream_id, events, expected_version, **kwargs):
    with transaction.atomic():
        return eventstore.append(
            stream_type="cart",
            stream_id=stream_id,
            events=events,
            expected_version=expected_version,
            **kwargs,
        )


def test_append_then_load_round_trips_events_and_metadata():
    stream = uuid.uuid4()
    recorded = append(stream, [item(1), item(2)], 0, metadata={"actor": "user:1"})
    assert [r.version for r in recorded] == [1, 2]
    loaded = eventstore.load(stream)
    assert [r.event for r in loaded] == [item(1), item(2)]
    assert loaded[0].event.unit_price == PRICE  # Decimal and currency survive JSON
    assert [r.position for r in loaded] == [r.position for r in recorded]
    assert loaded[0].metadata == {"actor": "user:1"}
    assert eventstore.load(stream, after_version=1)[0].event == item(2)


def test_rows_hold_the_documented_fields():
    stream = uuid.uuid4()
    append(stream, [item(3)], 0)
    row = Event.objects.get(stream_id=stream)
    assert row.stream_type == "cart"
    assert row.event_type == "ItemAdded"
    assert row.schema_version == 3  # ItemAdded v2: unit_price as Money; v3: the variant
    assert row.data == {
        "product_id": str(uuid.UUID(int=3)),
        "variant_id": str(uuid.UUID(int=3)),
        "quantity": 3,
        "unit_price": {"amount": "4.20", "currency": "EUR"},
    }


def test_stale_expected_version_raises_concurrency_error_and_stores_nothing():
    stream = uuid.uuid4()
    append(stream, [item(1)], 0)
    with pytest.raises(ConcurrencyError):
        append(stream, [item(2), item(3)], 0)
    assert Event.objects.filter(stream_id=stream).count() == 1


def test_events_go_on_the_stream_type_they_belong_to():
    with pytest.raises(ValueError), transaction.atomic():
        eventstore.append(
            stream_type="product", stream_id=uuid.uuid4(), events=[item()], expected_version=0
        )


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        eventstore.append(
            stream_type="cart", stream_id=uuid.uuid4(), events=[item()], expected_version=0
        )


def test_signal_is_sent_inside_the_transaction_with_the_recorded_events():
    seen = []

    def receiver(sender, events, **kwargs):
        seen.append((sender, [e.version for e in events], connection.in_atomic_block))

    events_appended.connect(receiver)
    try:
        append(uuid.uuid4(), [item(1), item(2)], 0)
    finally:
        events_appended.disconnect(receiver)
    assert seen == [("cart", [1, 2], True)]


def test_a_failing_receiver_rolls_the_events_back():
    def broken(sender, events, **kwargs):
        raise RuntimeError("projection failed")

    stream = uuid.uuid4()
    events_appended.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            append(stream, [item(1)], 0)
    finally:
        events_appended.disconnect(broken)
    assert not Event.objects.filter(stream_id=stream).exists()


class TestImmutability:
    @pytest.fixture
    def row(self):
        stream = uuid.uuid4()
        append(stream, [item(1)], 0)
        return Event.objects.get(stream_id=stream)

    def test_saving_an_existing_event_raises(self, row):
        row.data = {"tampered": True}
        with pytest.raises(ImmutableEventError):
            row.save()

    def test_deleting_an_event_raises(self, row):
        with pytest.raises(ImmutableEventError):
            row.delete()

    def test_queryset_update_and_delete_raise(self, row):
        with pytest.raises(ImmutableEventError):
            Event.objects.filter(pk=row.pk).update(event_type="ItemRemoved")
        with pytest.raises(ImmutableEventError):
            Event.objects.filter(pk=row.pk).delete()
        assert Event.objects.get(pk=row.pk).event_type == "ItemAdded"

    @pytest.mark.postgres
    def test_postgres_trigger_refuses_raw_update_and_delete(self, row):
        from django.db import DatabaseError

        for sql in (
            "UPDATE shop_event SET event_type = 'ItemRemoved' WHERE position = %s",
            "DELETE FROM shop_event WHERE position = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [row.pk])
        assert Event.objects.get(pk=row.pk).event_type == "ItemAdded"


def test_item_removed_round_trips():
    stream = uuid.uuid4()
    removed = ItemRemoved(
        product_id=uuid.UUID(int=5), variant_id=uuid.UUID(int=5), quantity=2, unit_price=PRICE
    )
    append(stream, [item(5), removed], 0)
    assert eventstore.load(stream)[1].event == removed
