"""Time travel: a stream's events, each beside the aggregate's state right after it.

The state is computed by the aggregate itself (its decider's ``evolve``), exactly as a
command would see it, and turned into plain lists and dicts for display.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shop.aggregates import Decider
from shop.eventstore import RecordedEvent
from shop.money import Money


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    recorded: RecordedEvent
    state: Any  # None when no decider is registered for the stream type

    @property
    def event(self) -> Any:
        return self.recorded.event


def stream_timeline(
    decider: Decider[Any, Any] | None, events: Sequence[RecordedEvent]
) -> list[TimelineEntry]:
    """Each event of the stream with the state after it (a left fold, kept step by step)."""
    entries = []
    state = decider.initial_state if decider else None
    for recorded in events:
        if decider is not None:
            state = decider.evolve(state, recorded.event)
        entries.append(TimelineEntry(recorded, state))
    return entries


def plain(value: Any) -> Any:
    """Dataclasses, tuples, sets, Money, UUIDs… as JSON-ready lists, dicts and strings."""
    match value:
        case Money(amount=amount, currency=currency):
            return f"{amount} {currency}"
        case _ if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        case list() | tuple():
            return [plain(item) for item in value]
        case set() | frozenset():
            return sorted((plain(item) for item in value), key=str)
        case Mapping():
            return {str(key): plain(item) for key, item in value.items()}
        case UUID() | Decimal() | datetime() | date():
            return str(value)
        case _:
            return value


ID_KEYS = {
    "cart_id": "cart",
    "order_id": "order",
    "source_cart_id": "from cart",
    "target_cart_id": "into cart",
}


def summary(data: Any, names: Mapping[str, str]) -> str:
    """One line naming what an event (as ``plain`` gives it) is about: "2 × Kenya AA"."""
    if not isinstance(data, Mapping):
        return ""
    parts = []
    product = data.get("product_id")
    if product is not None:
        name = names.get(str(product), "a product not in the catalog")
        quantity = data.get("quantity")
        parts.append(f"{quantity} × {name}" if quantity is not None else name)
    lines = data.get("lines")
    if isinstance(lines, list):
        parts.extend(summary(line, names) for line in lines if isinstance(line, Mapping))
    for key, label in ID_KEYS.items():
        if data.get(key):
            parts.append(f"{label} {str(data[key])[:8]}")
    if data.get("code"):
        parts.append(f"coupon {data['code']}")
    return ", ".join(part for part in parts if part)
