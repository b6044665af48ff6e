"""The vocabulary of a command: an aggregate's ``Decider``, the ``CommandContext`` of the
request, the ``Outcome`` of a one-stream command, and the deciders registered per stream type.

A ``Decider`` is an aggregate's stream type, its initial state and its two pure functions
from ``domain.py``. ``shop.unitofwork`` runs commands with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any
from uuid import UUID

from shop.eventstore import RecordedEvent


@dataclass(frozen=True, slots=True)
class Decider[C, S]:
    stream_type: str
    initial_state: S
    decide: Callable[[C, S], list[Any]]
    evolve: Callable[[S, Any], S]

    def fold(self, state: S, events: list[Any]) -> S:
        return reduce(self.evolve, events, state)


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandContext:
    """Who asked, and which request and command this is: stored in each event's metadata."""

    actor: str
    command_id: UUID = field(default_factory=uuid.uuid4)
    correlation_id: UUID = field(default_factory=uuid.uuid4)
    causation_id: UUID | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        meta = {
            "actor": self.actor,
            "command_id": str(self.command_id),
            "correlation_id": str(self.correlation_id),
        }
        if self.causation_id is not None:
            meta["causation_id"] = str(self.causation_id)
        meta.update(self.extra)
        return meta


@dataclass(frozen=True, slots=True)
class Outcome[S]:
    state: S
    version: int
    recorded: list[RecordedEvent]


# --- Deciders by stream type ------------------------------------------------------------------
# Each app registers its deciders in ``ready()``, so shop's staff tools (the stream timeline)
# can fold any stream with the aggregate's own ``evolve``, without importing the apps.

_deciders: dict[str, Decider[Any, Any]] = {}


class UnknownStreamType(LookupError):
    pass


def register_decider(decider: Decider[Any, Any]) -> Decider[Any, Any]:
    """Make ``decider`` the one for its stream type (idempotent for the same decider)."""
    existing = _deciders.get(decider.stream_type)
    if existing is not None and (existing.evolve, existing.initial_state) != (
        decider.evolve,
        decider.initial_state,
    ):
        raise ValueError(f"a decider for {decider.stream_type!r} streams is registered already")
    _deciders[decider.stream_type] = decider
    return decider


def decider_for(stream_type: str) -> Decider[Any, Any]:
    try:
        return _deciders[stream_type]
    except KeyError:
        raise UnknownStreamType(stream_type) from None
