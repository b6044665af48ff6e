"""A log written before variants existed (tests/data/log_before_variants.json: raw rows as
main stored them at 38e4b35, and the projections main built from them) is read through
the upcasters as each product's default variant, and replays to the same totals and the
same rows; nothing stored is rewritten."""

import json
import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from carts.models import CartLine, CartSummary
from carts.selectors import cart_contents
from carts.services import CART, cart_add_item
from catalog.models import Product, ProductVariant
from catalog.services import PRODUCT, product_adjust_stock
from orders.domain import Address, Customer
from orders.models import OrderLine, OrderSummary
from orders.services import ORDER, order_checkout
from shop import eventstore, projections
from shop.models import Event
from shop.unitofwork import load_state
from tests.journeys import shopper

pytestmark = pytest.mark.django_db

LOG = json.loads((Path(__file__).parents[1] / "data" / "log_before_variants.json").read_text())
BRAZIL = uuid.UUID("62cb2b61-e72b-532a-b8e9-66fe6a499be3")
OPEN_CART = uuid.UUID("00000000-0000-4000-8000-0000000000c3")


@pytest.fixture
def old_log():
    """The stored rows, inserted as they are (v1 payloads), and the projections rebuilt."""
    Event.objects.bulk_create(
        [
            Event(
                stream_type=e["stream_type"],
                stream_id=uuid.UUID(e["stream_id"]),
                version=e["version"],
                event_type=e["event_type"],
                schema_version=e["schema_version"],
                data=e["data"],
                metadata=e["metadata"],
                recorded_at=datetime.fromisoformat(e["recorded_at"]),
            )
            for e in LOG["events"]
        ]
    )
    if connection.vendor == "postgresql":  # the sequence behind the identity column
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('shop_event', 'position'), "
                "(SELECT max(position) FROM shop_event))"
            )
    projections.rebuild()
    return LOG["projections"]


def _stored() -> list[tuple]:
    return list(
        Event.objects.order_by("position").values_list("event_type", "schema_version", "data")
    )


def test_the_fixture_holds_payloads_of_before_variants():
    versions = {(e["event_type"], e["schema_version"]) for e in LOG["events"]}
    assert ("ProductListed", 1) in versions and ("StockReserved", 1) in versions
    assert ("ItemAdded", 2) in versions and ("CartMerged", 1) in versions
    assert ("OrderPlaced", 1) in versions
    assert all("variant_id" not in json.dumps(e["data"]) for e in LOG["events"])


def test_replay_gives_the_same_rows_as_before(old_log):
    products = {str(p.id): p for p in Product.objects.all()}
    for before in old_log["products"]:
        now = products[before["id"]]
        assert (now.slug, now.name, str(now.price), now.stock, now.is_listed, now.version) == (
            before["slug"],
            before["name"],
            before["price"],
            before["stock"],
            before["is_listed"],
            before["version"],
        )
        # Its one variant is the default one: the product's id, the stock, the price.
        (variant,) = ProductVariant.objects.filter(product_id=now.id)
        assert variant.id == now.id
        assert (str(variant.price), variant.stock, variant.sku) == (
            before["price"],
            before["stock"],
            before["slug"].upper(),
        )
    carts = {str(c.cart_id): c for c in CartSummary.objects.all()}
    for before in old_log["carts"]:
        now = carts[before["cart_id"]]
        assert (now.status, now.item_count, now.version) == (
            before["status"],
            before["item_count"],
            before["version"],
        )
    lines = {(str(line.cart_id), str(line.product_id)): line for line in CartLine.objects.all()}
    assert len(lines) == len(old_log["cart_lines"])
    # A line's slot is the position of the event that added it: main wrote the log from
    # position 1, this database numbers it from wherever its sequence is (a line put back by
    # an undo keeps the slot its metadata names, as stored).
    offset = Event.objects.order_by("position").first().position - 1
    for before in old_log["cart_lines"]:
        now = lines[(before["cart_id"], before["product_id"])]
        assert now.variant_id == now.product_id
        assert (now.quantity, str(now.unit_price)) == (before["quantity"], before["unit_price"])
        assert now.slot in (before["slot"] + offset, before["slot"])
    orders = {str(o.order_id): o for o in OrderSummary.objects.all()}
    for before in old_log["orders"]:
        now = orders[before["order_id"]]
        assert (now.status, str(now.subtotal), str(now.total), now.item_count) == (
            before["status"],
            before["subtotal"],
            before["total"],
            before["item_count"],
        )
    order_lines = {(str(x.order_id), str(x.product_id)): x for x in OrderLine.objects.all()}
    assert len(order_lines) == len(old_log["order_lines"])
    for before in old_log["order_lines"]:
        now = order_lines[(before["order_id"], before["product_id"])]
        assert (now.name, now.quantity, str(now.unit_price)) == (
            before["name"],
            before["quantity"],
            before["unit_price"],
        )
        assert (now.variant_id, now.weight_grams, now.title) == (now.product_id, 0, now.name)
    assert projections.check()[0] == []


def test_aggregates_fold_the_old_streams_to_the_same_totals(old_log):
    stock = {p["id"]: p["stock"] for p in old_log["products"]}
    for product_id, on_hand in stock.items():
        state = load_state(PRODUCT, uuid.UUID(product_id)).state
        (variant,) = state.variants
        assert (variant.id, variant.on_hand, state.on_hand) == (
            uuid.UUID(product_id),
            on_hand,
            on_hand,
        )
    cart = load_state(CART, OPEN_CART).state
    assert {line.variant_id: line.quantity for line in cart.lines} == {
        uuid.UUID(line["product_id"]): line["quantity"]
        for line in old_log["cart_lines"]
        if line["cart_id"] == str(OPEN_CART)
    }
    for order in old_log["orders"]:
        placed = load_state(ORDER, uuid.UUID(order["order_id"])).state
        assert str(sum(line.total.amount for line in placed.lines)) == order["subtotal"]
        assert all(line.variant_id == line.product_id for line in placed.lines)
    # Today's totals of the open cart, at today's prices (Brazil went to 10.40).
    totals = cart_contents(cart_id=OPEN_CART).totals
    assert str(totals.subtotal.amount) == str(Decimal("10.40") * 3 + Decimal("15.00"))


def test_new_commands_carry_on_from_old_streams(old_log):
    """An old cart takes new lines, checks out, reserves the default variants' stock; the
    old rows stay as they were."""
    before = _stored()
    brazil = Product.objects.get(id=BRAZIL)
    cart_add_item(cart_id=OPEN_CART, product=brazil, quantity=1, context=shopper())
    order_checkout(
        cart_id=OPEN_CART,
        command_id=uuid.uuid4(),
        customer=Customer(email="grace@example.com"),
        address=Address(
            full_name="Grace Hopper",
            address="1 Navy Way",
            city="Arlington",
            postal_code="22201",
            country="United States",
        ),
        context=shopper(),
    )
    assert _stored()[: len(before)] == before  # nothing rewritten
    on_hand = next(p["stock"] for p in old_log["products"] if p["id"] == str(BRAZIL))
    assert load_state(PRODUCT, BRAZIL).state.variant(BRAZIL).on_hand == on_hand - 4
    assert Product.objects.get(id=BRAZIL).stock == on_hand - 4
    product_adjust_stock(product_id=BRAZIL, on_hand=50, context=shopper())
    assert ProductVariant.objects.get(id=BRAZIL).stock == 50
    latest = eventstore.load(BRAZIL)[-1].event
    assert latest.variant_id == BRAZIL
    assert projections.check()[0] == []
