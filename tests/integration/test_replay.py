"""The batch replay leaves exactly the rows the live path leaves, on either database.

Random journeys go through the real services (tests/journeys.py), so every projection is
written live; every event is then delivered again (which must change nothing), the log is
replayed event by event through the live path, and in batch. All must agree row for row,
down to the order of cart and order lines. One mapping per projection serves both paths
(``shop.projections``); this is what proves the two paths apply it alike.
"""

import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings

from carts.models import CartSummary
from catalog.domain import StockAdjusted
from catalog.models import Product
from shop import eventstore, projections, registry
from shop.eventstore import to_recorded
from shop.models import Event
from shop.money import TaxClass
from tests.journeys import JOURNEY, Shop

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def projected_rows() -> dict[str, list[tuple]]:
    """Every projected row, by model: its key and compared fields, in a stable order.

    Rows with an auto-increment id are listed by parent, then id, so the order lines were
    created in (which pages show) counts too; the id itself does not.
    """
    rows = {}
    for projection in projections.registered():
        for model in projection.models:
            keys = projection.key_fields(model)
            names = list(dict.fromkeys((*keys, *projection.compared_fields(model))))
            order = (*keys[:-1], "pk") if len(keys) > 1 else keys
            rows[model._meta.label] = list(model.objects.order_by(*order).values_list(*names))
    return rows


class RolledBack(Exception):
    pass


def project_every_event_again() -> None:
    """Deliver every event of a versioned projection (one with a stream row) once more,
    live, one at a time."""
    versioned = {p.stream_type for p in projections.registered() if p.stream_row is not None}
    unversioned = {p.stream_type for p in projections.registered() if p.stream_row is None}
    for row in Event.objects.filter(stream_type__in=versioned - unversioned).order_by("position"):
        projections.project(row.stream_type, [to_recorded(row)])


@PROPERTY
@given(journey=JOURNEY)
def test_batch_replay_gives_the_rows_of_the_live_handlers(journey):
    try:
        with transaction.atomic():
            Shop().run(journey)
            live = projected_rows()
            project_every_event_again()  # seen again: changes nothing
            assert projected_rows() == live
            projections.rebuild(batch=False)
            assert projected_rows() == live
            projections.rebuild()
            assert projected_rows() == live
            raise RolledBack
    except RolledBack:
        pass


# One journey that takes every path replay must get right.
EVERY_PATH = [
    ("tax", 0, TaxClass.REDUCED),  # two rates in one order: VAT per rate
    ("add v1", 1, 0, 2),
    ("add", 1, 1, 1),
    ("add", 1, 0, 1),
    ("add variant", 1, 1),
    ("change", 1, 1, 3),
    ("remove", 1, 1),
    ("add", 0, 2, 1),
    ("add variant", 0, 2),
    ("merge", 1),
    ("apply coupon", 0),
    ("remove coupon", 0),
    ("apply coupon", 0),
    ("checkout", 0),
    ("restock variant", 6),
    ("add", 2, 1, 2),
    ("add variant", 2, 2),
    ("change variant", 2, 1),
    ("apply coupon", 2),
    ("checkout", 2),
    ("claim", 1),
    ("pay", 0, "4000000000000002"),  # declined
    ("pay", 0, "4242424242424242"),
    ("ship", 0),
    ("return", 0, 1),
    ("refund", 0, "1.00"),
    ("pay", 1, "4242424242424242"),
    ("cancel", 1),  # paid: its money is refunded
    ("reprice", 1, "7.5"),
    ("restock", 2, 6),
    ("delist", 0),
    ("add", 3, 2, 1),
    ("apply coupon", 3),
    ("remove coupon", 3),
]


def test_a_journey_covers_what_replay_must_get_right():
    """The property above is only as good as the journeys: this one takes every path."""
    Shop().run(EVERY_PATH)
    kinds = set(Event.objects.values_list("event_type", "schema_version"))
    assert {
        ("ItemAdded", 1),
        ("ItemAdded", 3),
        ("ItemQuantityChanged", 2),
        ("ItemRemoved", 2),
        ("CartMerged", 2),
        ("CartMergedInto", 1),
        ("CouponApplied", 1),
        ("CouponRemoved", 1),
        ("CartCheckedOut", 1),
        ("OrderPlaced", 3),
        ("OrderPaid", 1),
        ("OrderShipped", 1),
        ("OrderCancelled", 1),
        ("OrderClaimed", 1),
        ("PaymentAuthorized", 1),
        ("PaymentFailed", 1),
        ("PaymentCaptured", 1),
        ("RefundRequested", 1),
        ("PaymentRefunded", 1),
        ("ReturnReceived", 1),
        ("CouponRedeemed", 1),
        ("CouponRedemptionReleased", 1),
        ("ProductPriceChanged", 2),
        ("StockAdjusted", 2),
        ("StockReserved", 2),
        ("StockReleased", 2),
        ("ProductDelisted", 1),
        ("OptionGroupAdded", 1),
        ("VariantAdded", 1),
        ("VariantChanged", 1),
        ("ProductTaxClassChanged", 1),
    } <= kinds
    live = projected_rows()
    projections.rebuild()
    assert projected_rows() == live
    drift, _ = projections.check()
    assert drift == []


def test_replay_reads_every_payload_as_the_event_store_does():
    """The log's JSON text, parsed in one pass (or upcast from v1): the same events."""
    Shop().run(EVERY_PATH)
    stored = {row.position: to_recorded(row).event for row in Event.objects.all()}
    read = {}
    for rows in projections.log_chunks(metadata=False):
        for position, _, stream_id, _, event_type, schema_version, text, _ in rows:
            assert isinstance(text, str)
            read[position] = registry.from_json(event_type, schema_version, text, stream_id)
    assert read == stored


def test_a_batch_rebuild_issues_the_same_queries_for_a_longer_log():
    """Its SQL grows with the chunks read, not with the events: none per event."""
    shop = Shop()
    shop.run([("add", 1, 0, 1), ("checkout", 1)])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            projections.rebuild(chunk_size=10_000)
        return len(captured)

    before = queries()
    shop.run([("add", n % 4, n % 3, 1 + n % 2) for n in range(40)] + [("checkout", 2)])
    assert CartSummary.objects.count() >= 4
    assert queries() == before


SUMMARY_WRITE = re.compile(
    r"^\s*(WITH\s+\w+\s+AS\s*\(\s*)?(UPDATE|INSERT\s+INTO)\s+\"?carts_cartsummary\b", re.I
)


def summary_writes(captured) -> list[str]:
    """The statements that created or advanced a cart summary, however they were written
    (ORM, SQL, or inside a WITH that also writes the line)."""
    return [q["sql"] for q in captured if SUMMARY_WRITE.match(q["sql"])]


def test_check_takes_the_batch_path():
    """``rebuild_projections --check`` replays in batch: no statement per cart event."""
    Shop().run(EVERY_PATH)
    out = StringIO()
    with CaptureQueriesContext(connection) as captured:
        call_command("rebuild_projections", "--check", stdout=out)
    assert "No drift" in out.getvalue()
    # None per event: one bulk INSERT on SQLite; on PostgreSQL a COPY, which the capture
    # does not see.
    assert len(summary_writes(captured)) <= 1
    with CaptureQueriesContext(connection) as captured:
        projections.rebuild(batch=False)
    assert len(summary_writes(captured)) == Event.objects.filter(stream_type="cart").count()


def test_a_stream_row_starts_only_with_an_event_that_creates_it():
    """A product stream that does not start with ``ProductListed`` gets no Product row,
    live or on replay, and none of its later events apply."""
    product_id = uuid.uuid4()
    with transaction.atomic():
        eventstore.append(
            stream_type="product",
            stream_id=product_id,
            events=[
                StockAdjusted(variant_id=product_id, on_hand=1, delta=1),
                StockAdjusted(variant_id=product_id, on_hand=3, delta=2),
            ],
            expected_version=0,
        )
    assert not Product.objects.filter(id=product_id).exists()
    projections.rebuild()
    assert not Product.objects.filter(id=product_id).exists()
