"""Snapshots and recent states: the two caches that let a long stream load in O(1).

Every ``SHOP_SNAPSHOT_EVERY`` events (0 turns them off) the aggregate's state is stored
with the version it reflects. Each process also keeps the state its own last command on a
stream committed (``recent_states``, ``SHOP_RECENT_STATES``; 0 turns them off): a hot cart,
which the same worker sees again a few events later, then loads only those few events
instead of the snapshot. The two are independent. ``shop.unitofwork`` loads from the newer
of the two and writes both. Both are caches: the log alone is the truth, and deleting
either loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache, partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from pydantic import TypeAdapter

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


# --- Recent states: this process's own cache -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recent:
    version: int
    position: int  # of the stream's event at ``version``: checked before the entry is used
    state: Any


class RecentStates:
    """The state each stream reached with the last command this process committed on it.

    The next command on that stream, in this process, reads only the events after it. Events
    never change, so an entry stays true however far the stream moves on; still, a load uses
    it only once the log shows the entry's last event at the same position (a database
    emptied and refilled, as tests do, cannot mislead it). Least recently used entries go
    first beyond ``SHOP_RECENT_STATES`` (0 turns it off). States are immutable values, so
    an entry is shared, never copied.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[UUID, type], Recent] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def size() -> int:
        return getattr(settings, "SHOP_RECENT_STATES", 1000)

    def get(self, stream_id: UUID, state_class: type) -> Recent | None:
        if not self.size():
            return None
        with self._lock:
            recent = self._entries.get((stream_id, state_class))
            if recent is not None:
                self._entries.move_to_end((stream_id, state_class))
            return recent

    def remember(self, stream_id: UUID, recent: Recent) -> None:
        if not self.size():
            return
        with self._lock:
            self._entries[(stream_id, type(recent.state))] = recent
            self._entries.move_to_end((stream_id, type(recent.state)))
            while len(self._entries) > self.size():
                self._entries.popitem(last=False)

    def remember_on_commit(self, stream_id: UUID, recent: Recent) -> None:
        """Remember ``recent`` once the transaction commits (a rollback never happened)."""
        transaction.on_commit(partial(self.remember, stream_id, recent))

    def forget_stream(self, stream_id: UUID) -> None:
        """Forget every state of the stream (an erasure removed data it may hold)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == stream_id]:
                del self._entries[key]

    def forget(self, stream_id: UUID, state_class: type) -> None:
        with self._lock:
            self._entries.pop((stream_id, state_class), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


recent_states = RecentStates()


def parse(state_class: type, payload: str | bytes) -> Any:
    """A stored snapshot's state (raises pydantic's ``ValidationError`` if it no longer fits)."""
    return _adapter(state_class).validate_json(payload)


# --- Taking snapshots --------------------------------------------------------------------------


def due(old_version: int, new_version: int) -> bool:
    n = every()
    return bool(n) and new_version // n > old_version // n


def write(stream_type: str, stream_id: UUID, state: Any, version: int) -> None:
    """Store (or replace) the stream's snapshot: one upsert, inside the command's lock."""
    cls = type(state)
    snapshot = Snapshot(
        stream_id=stream_id,
        stream_type=stream_type,
        version=version,
        shape=shape_of(cls),
        state=_adapter(cls).dump_python(state, mode="json"),
    )
    Snapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["stream_id"],
        update_fields=["stream_type", "version", "shape", "state", "taken_at"],
    )
