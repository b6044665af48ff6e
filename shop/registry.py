"""The event registry: event classes by name, and their JSON shape.

Events are frozen dataclasses in each app's ``domain.py``. The registry turns them into
JSON-ready dicts for the ``Event.data`` column and back, applying upcasters to payloads that
were stored under an older ``schema_version``. It imports nothing from Django.

An event type may declare personal fields (``Personal``): the event store encrypts them per
data subject (``shop.personal``), and ``from_json`` / ``from_data`` decrypt them through the
reveal hook that module installs, before any upcaster runs.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter

# An upcaster takes the stored payload, and, if it has a second parameter, the id of the
# stream the event belongs to (a payload that never named its stream may need it).
Upcaster = Callable[..., dict[str, Any]]

# How a sealed (encrypted) personal value starts in the stored JSON, and what a value whose
# subject was erased reads as.
SEALED = "~pd1~"
ERASED = "[erased]"
_SEALED_JSON = '"' + SEALED
_SEALED_JSON_BYTES = _SEALED_JSON.encode()


@dataclass(frozen=True, slots=True)
class Personal:
    """Which fields of an event are personal data, and whose.

    ``fields`` are dotted paths into the event's JSON (``"customer.email"``; through a list,
    every item's). They must hold strings. ``subject`` names the data subject the values
    belong to (``"user:42"``); ``None``, or a function returning ``None``, makes it the
    stream itself (``"order:<stream id>"``: a guest's checkout).
    """

    fields: tuple[str, ...]
    subject: Callable[[Any], str | None] | None = None


class UnknownEventType(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    cls: type
    stream_type: str
    schema_version: int
    personal: Personal | None = None


_types: dict[str, EventType] = {}
_by_class: dict[type, EventType] = {}
_upcasters: dict[tuple[str, int], Upcaster] = {}
_reveal: Callable[[dict[str, Any]], dict[str, Any]] | None = None
_reveal_text: Callable[[str | bytes], str] | None = None
_wants_stream: set[tuple[str, int]] = set()


def register(
    stream_type: str,
    classes: Iterable[type],
    *,
    schema_versions: dict[type, int] | None = None,
    personal: dict[type, Personal] | None = None,
) -> None:
    """Register the event classes of one stream type (idempotent).

    ``personal`` declares the personal fields of those event classes that have some.
    """
    for cls in classes:
        version = (schema_versions or {}).get(cls, 1)
        event_type = EventType(cls.__name__, cls, stream_type, version, (personal or {}).get(cls))
        existing = _types.get(cls.__name__)
        if existing is not None and existing.cls is not cls:
            raise ValueError(f"two event classes are named {cls.__name__}")
        _types[cls.__name__] = event_type
        _by_class[cls] = event_type


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning a payload of ``from_version`` into ``from_version + 1``.

    ``function(data)``, or ``function(data, stream_id)`` when the new shape needs the
    stream's id (a product's default variant is named by the product's id).
    """

    def decorator(function: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        _upcasters[key] = function
        if len(inspect.signature(function).parameters) > 1:
            _wants_stream.add(key)
        else:
            _wants_stream.discard(key)
        return function

    return decorator


def set_reveal(
    data: Callable[[dict[str, Any]], dict[str, Any]] | None,
    text: Callable[[str | bytes], str] | None = None,
) -> None:
    """Install what decrypts sealed personal values on read (``shop.personal``): in a
    stored payload, and in its JSON text."""
    global _reveal, _reveal_text
    _reveal, _reveal_text = data, text


def type_of(event: object) -> EventType:
    try:
        return _by_class[type(event)]
    except KeyError:
        raise UnknownEventType(type(event).__name__) from None


def get(name: str) -> EventType:
    try:
        return _types[name]
    except KeyError:
        raise UnknownEventType(name) from None


def all_types() -> list[EventType]:
    return sorted(_types.values(), key=lambda t: (t.stream_type, t.name))


def upcasters() -> list[tuple[str, int, Upcaster]]:
    """Every registered upcaster as (event type, from version, function)."""
    return [(name, version, f) for (name, version), f in sorted(_upcasters.items())]


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def to_data(event: object) -> dict[str, Any]:
    return _adapter(type(event)).dump_python(event, mode="json")


def from_json(
    name: str,
    schema_version: int,
    text: str | bytes,
    stream_id: object = None,
    *,
    reveal: bool = True,
) -> object:
    """Like ``from_data``, from the stored JSON text (parsed and checked in one pass).

    ``reveal=False`` leaves sealed personal values sealed (the unit of work's folds: a
    state never needs them, so none can hold one in plain text).
    """
    event_type = get(name)
    if (
        reveal
        and _reveal_text is not None
        and (_SEALED_JSON in text if isinstance(text, str) else _SEALED_JSON_BYTES in text)
    ):
        text = _reveal_text(text)
    if schema_version < event_type.schema_version:
        return from_data(name, schema_version, json.loads(text), stream_id, reveal=False)
    return _adapter(event_type.cls).validate_json(text)


def from_data(
    name: str,
    schema_version: int,
    data: dict[str, Any],
    stream_id: object = None,
    *,
    reveal: bool = True,
) -> object:
    """The event of the stored ``data``, upcast from ``schema_version`` to today's shape
    (``stream_id``: the stream it was stored in, for upcasters that need it)."""
    event_type = get(name)
    if reveal and _reveal is not None:
        data = _reveal(data)
    while schema_version < event_type.schema_version:
        key = (name, schema_version)
        upcast = _upcasters[key]
        data = upcast(data, stream_id) if key in _wants_stream else upcast(data)
        schema_version += 1
    return _adapter(event_type.cls).validate_python(data)
