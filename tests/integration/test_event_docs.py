"""docs/events.md is generated from the code and must not go stale."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shop import registry
from shop.management.commands.document_events import DEFAULT_PATH, render


def test_the_event_catalogue_is_up_to_date():
    # If this fails, run: .venv/bin/python manage.py document_events
    call_command("document_events", "--check", stdout=StringIO())
    assert DEFAULT_PATH.read_text() == render()


def test_the_catalogue_lists_every_event_type_with_its_stream():
    text = render()
    for event_type in registry.all_types():
        assert f"| `{event_type.name}` | {event_type.schema_version} |" in text
    assert "| `ItemRemoved` | 1 | `product_id: UUID`, `quantity: int`" in text
    assert "`RemoveItem`, `ChangeQuantity`" in text
    assert "`carts.upcasters.item_added_v1_to_v2`" in text


def test_a_stale_catalogue_is_detected(tmp_path):
    stale = tmp_path / "events.md"
    stale.write_text(render().replace("ItemRemoved", "ItemDropped"))
    with pytest.raises(CommandError, match="stale") as refused:
        call_command("document_events", "--check", "--path", str(stale), stdout=StringIO())
    assert refused.value.returncode == 1
    call_command("document_events", "--path", str(stale), stdout=StringIO())
    call_command("document_events", "--check", "--path", str(stale), stdout=StringIO())
