"""Run a command against an aggregate: load → fold → decide → append, retrying conflicts.

An aggregate is described by a ``Decider``: its stream type, its initial state and its two
pure functions from ``domain.py``. Services call ``execute`` (one stream) or build their own
transaction from ``load_state`` and ``eventstore.append`` (several streams, as checkout does)
inside ``retrying``.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any
from uuid import UUID

from django.db import transaction

from shop import eventstore, snapshots
from shop.eventstore import ConcurrencyError, RecordedEvent

MAX_ATTEMPTS = 10
BACKOFF_CAP = 0.05  # seconds: the longest pause between two attempts


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
class Loaded[S]:
    state: S
    version: int


@dataclass(frozen=True, slots=True)
class Outcome[S]:
    state: S
    version: int
    recorded: list[RecordedEvent]


def load_state[S](decider: Decider[Any, S], stream_id: UUID, *, lock: bool = False) -> Loaded[S]:
    """The stream's current state: its snapshot (if any) plus the events after it.

    ``lock`` first queues behind the stream's other writers (``eventstore.lock_streams``).
    """
    if not snapshots.every():
        if lock:
            eventstore.lock_streams([stream_id])
        events = eventstore.load(stream_id)
        state = decider.fold(decider.initial_state, [e.event for e in events])
        return Loaded(state, events[-1].version if events else 0)
    state, version, events = snapshots.load_latest(
        stream_id, type(decider.initial_state), lock=lock
    )
    state = decider.fold(decider.initial_state if state is None else state, [e for _, e in events])
    return Loaded(state, events[-1][0] if events else version)


def save_snapshot_if_due(decider: Decider[Any, Any], stream_id: UUID, old: int, new: Any) -> None:
    """After appending, store the state when the stream crossed a snapshot boundary."""
    if snapshots.due(old, new.version):
        snapshots.write(decider.stream_type, stream_id, new.state, new.version)


def retrying[T](work: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``work`` in a transaction; on ``ConcurrencyError`` roll back and run it again.

    Each attempt is its own ``atomic`` block (a savepoint when nested), so a conflict never
    leaves the surrounding transaction broken. Between attempts it waits a random, growing
    moment (at most ``BACKOFF_CAP``), so writers that collided do not collide again in step.
    """
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except ConcurrencyError:
            if attempt == attempts:
                raise
        time.sleep(random.uniform(0, min(BACKOFF_CAP, 0.002 * 2**attempt)))
    raise AssertionError("unreachable")


def execute[C, S](
    decider: Decider[C, S], stream_id: UUID, command: C, context: CommandContext
) -> Outcome[S]:
    """Decide ``command`` on the stream's current state and append what it yields.

    Writers of one stream queue on its lock (PostgreSQL), taken with the load in one round
    trip, so two tabs adding to one cart take turns instead of colliding and retrying. The
    append's expected version stays the guarantee: it catches writers that hold no lock
    (checkout, merge), and a conflict still retries.
    """

    def attempt() -> Outcome[S]:
        loaded = load_state(decider, stream_id, lock=True)
        new_events = decider.decide(command, loaded.state)
        recorded = eventstore.append(
            stream_type=decider.stream_type,
            stream_id=stream_id,
            events=new_events,
            expected_version=loaded.version,
            metadata=context.metadata(),
        )
        outcome = Outcome(
            decider.fold(loaded.state, new_events), loaded.version + len(new_events), recorded
        )
        save_snapshot_if_due(decider, stream_id, loaded.version, outcome)
        if recorded:
            recent = snapshots.Recent(outcome.version, recorded[-1].position, outcome.state)
            snapshots.recent_states.remember_on_commit(stream_id, recent)
        return outcome

    return retrying(attempt)


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
