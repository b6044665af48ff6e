"""Snapshots: load a long stream in O(1) of its length.

Every ``SHOP_SNAPSHOT_EVERY`` events (0 turns them off) the aggregate's state is stored
with the version it reflects. Loading reads the snapshot, then only the newer events.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from pydantic import TypeAdapter, ValidationError

from shop.models import Snapshot


def every() -> int:
    return getattr(settings, "SHOP_SNAPSHOT_EVERY", 100)


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


@cache
def shape_of(cls: type) -> str:
    """A fingerprint of the state class: its fields and their types, as JSON Schema."""
    schema = json.dumps(_adapter(cls).json_schema(mode="serialization"), sort_keys=True)
    return hashlib.sha256(f"{cls.__qualname__}:{schema}".encode()).hexdigest()[:32]


def read(stream_id: UUID, state_class: type) -> tuple[Any, int] | None:
    """The stored state and its version, or None (no snapshot, or one of another shape)."""
    if not every():
        return None
    row = (
        Snapshot.objects.filter(stream_id=stream_id, shape=shape_of(state_class))
        .values_list("state", "version")
        .first()
    )
    if row is None:
        return None
    try:
        return _adapter(state_class).validate_python(row[0]), row[1]
    except ValidationError:
        return None  # unreadable: replay instead


def due(old_version: int, new_version: int) -> bool:
    n = every()
    return bool(n) and new_version // n > old_version // n


def write(stream_type: str, stream_id: UUID, state: Any, version: int) -> None:
    cls = type(state)
    Snapshot.objects.update_or_create(
        stream_id=stream_id,
        defaults={
            "stream_type": stream_type,
            "version": version,
            "shape": shape_of(cls),
            "state": _adapter(cls).dump_python(state, mode="json"),
        },
    )
