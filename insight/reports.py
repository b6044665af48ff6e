"""The numbers behind the staff insight page, read from the event log.

Event type names are the public contract (docs/events.md), so the log is read by name:
carts are streams of type ``cart`` (their state folded by the cart's registered decider);
products are named by their ``ProductListed`` event. Charts are plain geometry for
server-rendered SVG.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, Max, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.utils import timezone

from shop import aggregates, registry
from shop.eventstore import to_recorded
from shop.models import Event

DAYS = 14
CLOSING_EVENTS = ("CartCheckedOut", "CartMergedInto")
SERIES = 24  # fills series-0 … series-23 in static/css/staff.css (more types than that repeat)

CHART_WIDTH = 640
CHART_HEIGHT = 200
BAR_HEIGHT = 24


def _names(product_ids) -> dict[str, str]:
    ids = []
    for value in product_ids:
        try:
            ids.append(UUID(str(value)))
        except ValueError:
            continue
    listed = Event.objects.filter(event_type="ProductListed", stream_id__in=ids)
    return {str(row.stream_id): row.data.get("name", "") for row in listed}


def events_per_day(days: int = DAYS) -> dict[str, Any]:
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))
    rows = (
        Event.objects.filter(recorded_at__gte=since)
        .annotate(day=TruncDate("recorded_at"))
        .values("day", "event_type")
        .annotate(n=Count("pk"))
    )
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[row["day"]][row["event_type"]] = row["n"]
    types = [t.name for t in registry.all_types()]
    types += sorted({t for day in counts.values() for t in day} - set(types))
    used = [t for t in types if any(t in day for day in counts.values())]
    css = {t: f"series-{i % SERIES}" for i, t in enumerate(used)}
    top = max((sum(day.values()) for day in counts.values()), default=0)
    slot = CHART_WIDTH / days
    columns = []
    for i in range(days):
        day = first + timedelta(days=i)
        y = CHART_HEIGHT
        segments = []
        for t in used:
            n = counts.get(day, {}).get(t, 0)
            if not n:
                continue
            height = CHART_HEIGHT * n / top
            y -= height
            segments.append({"type": t, "n": n, "y": round(y, 1), "height": round(height, 1)})
            segments[-1]["css"] = css[t]
        columns.append(
            {
                "day": day,
                "x": round(i * slot + 2, 1),
                "width": round(slot - 4, 1),
                "label_x": round(i * slot + slot / 2, 1),
                "total": sum(counts.get(day, {}).values()),
                "segments": segments,
            }
        )
    return {
        "columns": columns,
        "legend": [{"type": t, "css": css[t]} for t in used],
        "top": top,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
    }


def _bars(items: list[tuple[str, int]], *, label_width: int = 200) -> dict[str, Any]:
    top = max((n for _, n in items), default=0)
    room = CHART_WIDTH - label_width - 110  # leaves room for "50000 (100 %)"
    bars = [
        {
            "label": label,
            "n": n,
            "y": i * (BAR_HEIGHT + 8),
            "text_y": i * (BAR_HEIGHT + 8) + BAR_HEIGHT * 0.7,
            "width": round(room * n / top, 1) if top else 0,
            "value_x": label_width + (round(room * n / top, 1) if top else 0) + 6,
        }
        for i, (label, n) in enumerate(items)
    ]
    return {
        "bars": bars,
        "label_width": label_width,
        "label_x": label_width - 8,
        "width": CHART_WIDTH,
        "height": max(len(items) * (BAR_HEIGHT + 8), BAR_HEIGHT),
        "bar_height": BAR_HEIGHT,
    }


def cart_funnel() -> dict[str, Any]:
    carts = Event.objects.filter(stream_type="cart")
    started = carts.filter(version=1).count()
    with_items = carts.filter(event_type="ItemAdded").values("stream_id").distinct().count()
    checked_out = carts.filter(event_type="CartCheckedOut").count()
    steps = [
        ("Carts started", started),
        ("Items added", with_items),
        ("Checked out", checked_out),
    ]
    chart = _bars(steps)
    for bar in chart["bars"]:
        bar["share"] = f"{100 * bar['n'] / started:.0f} %" if started else "–"
    return chart


def abandoned_carts(hours: int, *, limit: int = 25) -> dict[str, Any]:
    """Carts not closed (checked out or merged) with no event for ``hours`` hours."""
    cutoff = timezone.now() - timedelta(hours=hours)
    streams = (
        Event.objects.filter(stream_type="cart")
        .values("stream_id")
        .annotate(
            last=Max("recorded_at"),
            closed=Count("pk", filter=Q(event_type__in=CLOSING_EVENTS)),
        )
        .filter(last__lt=cutoff, closed=0)
        .order_by("last")
    )
    total = streams.count()
    shown = list(streams[:limit])
    decider = aggregates.decider_for("cart")
    ids = [row["stream_id"] for row in shown]
    events: dict[UUID, list] = defaultdict(list)
    for row in Event.objects.filter(stream_id__in=ids).order_by("stream_id", "version"):
        events[row.stream_id].append(to_recorded(row).event)
    carts = []
    value_by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for row in shown:
        state = decider.fold(decider.initial_state, events[row["stream_id"]])
        lines = getattr(state, "lines", ())
        value: dict[str, Decimal] = defaultdict(Decimal)
        for line in lines:
            value[line.unit_price.currency] += line.unit_price.amount * line.quantity
        for currency, amount in value.items():
            value_by_currency[currency] += amount
        carts.append(
            {
                "stream_id": row["stream_id"],
                "last": row["last"],
                "items": sum(line.quantity for line in lines),
                "value": ", ".join(f"{a:.2f} {c}" for c, a in sorted(value.items())) or "0",
            }
        )
    return {
        "hours": hours,
        "total": total,
        "carts": carts,
        "value": ", ".join(f"{a:.2f} {c}" for c, a in sorted(value_by_currency.items())) or "0",
    }


def most_removed(limit: int = 10) -> dict[str, Any]:
    rows = list(
        Event.objects.filter(stream_type="cart", event_type="ItemRemoved")
        .annotate(product=KeyTextTransform("product_id", "data"))
        .values("product")
        .annotate(n=Count("pk"))
        .order_by("-n", "product")[:limit]
    )
    names = _names(row["product"] for row in rows)
    return _bars([(names.get(row["product"], row["product"]), row["n"]) for row in rows])


def build(*, hours: int) -> dict[str, Any]:
    return {
        "per_day": events_per_day(),
        "funnel": cart_funnel(),
        "abandoned": abandoned_carts(hours),
        "removed": most_removed(),
    }
