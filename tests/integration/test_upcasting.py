"""ItemAdded v1 (unit_price a plain decimal string) is read as v2 (Money)."""

import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from carts.domain import AddItem, ItemAdded, ItemRemoved, Line
from carts.models import CartLine, CartSummary
from carts.services import CART
from carts.upcasters import item_added_v1_to_v2
from shop import eventstore, registry
from shop.aggregates import CommandContext
from shop.models import Event
from shop.money import Money
from shop.unitofwork import execute, load_state

pytestmark = pytest.mark.django_db

A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def v1_cart(stream_id):
    """Rows as the shop wrote them before ItemAdded v2, inserted directly."""
    at = timezone.now() - timedelta(days=400)

    def row(version, event_type, schema_version, data):
        return Event(
            stream_type="cart",
            stream_id=stream_id,
            version=version,
            event_type=event_type,
            schema_version=schema_version,
            data=data,
            metadata={"actor": "guest:2025"},
            recorded_at=at + timedelta(minutes=version),
        )

    Event.objects.bulk_create(
        [
            row(1, "ItemAdded", 1, {"product_id": str(A), "quantity": 2, "unit_price": "4.20"}),
            row(2, "ItemAdded", 1, {"product_id": str(B), "quantity": 1, "unit_price": "7"}),
            row(
                3,
                "ItemRemoved",
                1,
                {
                    "product_id": str(B),
                    "quantity": 1,
                    "unit_price": {"amount": "7", "currency": "EUR"},
                },
            ),
        ]
    )


def test_item_added_is_registered_at_schema_version_3():
    assert registry.get("ItemAdded").schema_version == 3  # v3: the line's variant
    upcasters = {(name, v) for name, v, _ in registry.upcasters()}
    assert {("ItemAdded", 1), ("ItemAdded", 2)} <= upcasters


def test_the_upcaster_fills_in_the_shop_currency():
    with override_settings(SHOP_CURRENCY="GBP"):
        upcast = item_added_v1_to_v2({"product_id": "x", "quantity": 1, "unit_price": "3.10"})
    assert upcast["unit_price"] == {"amount": "3.10", "currency": "GBP"}


def test_a_v1_stream_loads_and_folds_in_todays_shape():
    stream = uuid.uuid4()
    v1_cart(stream)
    events = [r.event for r in eventstore.load(stream)]
    assert events[0] == ItemAdded(
        product_id=A, variant_id=A, quantity=2, unit_price=Money(Decimal("4.20"), "EUR")
    )
    assert events[1].unit_price == Money(Decimal("7"), "EUR")
    state = load_state(CART, stream)
    assert state.version == 3
    assert state.state.lines == (
        Line(product_id=A, variant_id=A, quantity=2, unit_price=Money(Decimal("4.20"), "EUR")),
    )
    assert isinstance(events[2], ItemRemoved)


def test_new_commands_append_v3_after_v1_history():
    stream = uuid.uuid4()
    v1_cart(stream)
    price = Money(Decimal("4.20"), "EUR")
    outcome = execute(
        CART,
        stream,
        AddItem(product_id=A, quantity=1, unit_price=price, available=10),
        CommandContext(actor="guest:now"),
    )
    assert outcome.state.quantity_of(A) == 3
    newest = Event.objects.get(stream_id=stream, version=4)
    assert newest.schema_version == 3
    assert newest.data["unit_price"] == {"amount": "4.20", "currency": "EUR"}
    assert newest.data["variant_id"] == str(A)


def test_the_projection_rebuild_handles_v1_events():
    stream = uuid.uuid4()
    v1_cart(stream)
    assert not CartSummary.objects.filter(cart_id=stream).exists()  # written around the store
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("rebuild_projections", "--check", stdout=out)
    assert f"DRIFT carts: carts.CartSummary {stream} missing" in out.getvalue()
    call_command("rebuild_projections", stdout=StringIO())
    summary = CartSummary.objects.get(cart_id=stream)
    assert (summary.item_count, summary.version) == (2, 3)
    line = CartLine.objects.get(cart_id=stream)
    assert (line.product_id, line.quantity, line.unit_price, line.currency) == (
        A,
        2,
        Decimal("4.20"),
        "EUR",
    )
    call_command("rebuild_projections", "--check", stdout=StringIO())
