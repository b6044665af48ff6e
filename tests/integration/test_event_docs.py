"""docs/events.md is generated from the code and must not go stale."""

import re
import sys
import typing
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as apps_registry
from django.core.management import CommandError, call_command

import shop
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
    assert "| `ItemRemoved` | 2 | `product_id: UUID`, `variant_id: UUID`, `quantity: int`" in text
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


def domain_modules():
    return sorted({sys.modules[t.cls.__module__] for t in registry.all_types()}, key=str)


def test_each_domain_module_declares_what_every_command_emits():
    assert len(domain_modules()) >= 4
    for module in domain_modules():
        emitted = {event for events in module.COMMANDS.values() for event in events}
        assert emitted == set(module.EVENTS), module.__name__
        if hasattr(module, "Command"):  # the union decide takes
            assert set(typing.get_args(module.Command.__value__)) == set(module.COMMANDS)
        for command in module.COMMANDS:
            assert command.__module__ == module.__name__


def test_the_kernel_names_no_event_and_imports_no_app():
    """shop/ is the kernel (and the project's settings and URLs, which compose the apps)."""
    kernel = Path(shop.__file__).parent
    names = {t.name for t in registry.all_types()}
    apps = {config.name for config in apps_registry.get_app_configs()} - {"shop"}
    imports = re.compile(r"^\s*(?:from|import) ([\w.]+)", re.MULTILINE)
    for path in kernel.rglob("*.py"):
        if "migrations" in path.parts or path.name in {"settings.py", "urls.py"}:
            continue
        text = path.read_text()
        assert not {n for n in names if re.search(rf"\b{n}\b", text)}, path
        assert not {m for m in imports.findall(text) if m.split(".")[0] in apps}, path
