"""Staff see everything: the event log, every stream's timeline, and the insight page.

The log is read-only in the admin, for superusers too. ``stream_link(stream_id)`` links any
admin page (products, carts, orders) to the stream's timeline.
"""

import json
from uuid import UUID

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from shop import aggregates, insight, registry
from shop.eventstore import to_recorded
from shop.models import Event
from shop.timeline import plain, stream_timeline


def pretty_json(value) -> str:
    return format_html(
        '<pre class="event-json">{}</pre>',
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str),
    )


def stream_url(stream_id: UUID) -> str:
    return reverse("admin:shop_event_stream", kwargs={"stream_id": stream_id})


def stream_link(stream_id: UUID | None, text: str = "Timeline") -> str:
    """An admin link to a stream's timeline; usable from any ModelAdmin (``@admin.display``)."""
    if stream_id is None:
        return "-"
    return format_html('<a href="{}">{}</a>', stream_url(stream_id), text)


# --- List filters from the registry: no DISTINCT over a million rows ------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and projections: staff read them; no one adds, changes or deletes rows here.

    Changes happen through commands (catalog edits, order actions), never row edits.
    """

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StreamTypeFilter(admin.SimpleListFilter):
    title = "stream type"
    parameter_name = "stream_type"

    def lookups(self, request, model_admin):
        return [(s, s) for s in sorted({t.stream_type for t in registry.all_types()})]

    def queryset(self, request, queryset):
        return queryset.filter(stream_type=self.value()) if self.value() else queryset


class EventTypeFilter(admin.SimpleListFilter):
    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        stream_type = request.GET.get(StreamTypeFilter.parameter_name)
        return [
            (t.name, f"{t.name} ({t.stream_type})")
            for t in registry.all_types()
            if not stream_type or t.stream_type == stream_type
        ]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


class EstimatedCountPaginator(Paginator):
    """Page links without COUNT(*) over a large log.

    The unfiltered log is counted from its positions (two index lookups): events are never
    deleted, so positions are dense but for the few a rolled-back transaction skipped, and
    the estimate is an upper bound. On PostgreSQL a filtered list takes the planner's row
    estimate when it is large, and counts exactly only below ``EXACT_BELOW`` rows.
    """

    EXACT_BELOW = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if queryset.query.is_empty():
            return 0
        if queryset.query.where:
            if connections[queryset.db].vendor == "postgresql":
                plan = json.loads(queryset.order_by().explain(format="json"))
                estimate = int(plan[0]["Plan"]["Plan Rows"])
                if estimate >= self.EXACT_BELOW:
                    return estimate
            return super().count
        span = queryset.model.objects.aggregate(first=Min("position"), last=Max("position"))
        if span["last"] is None:
            return 0
        return span["last"] - span["first"] + 1


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The event log, read-only: nobody adds, changes or deletes history, superusers neither."""

    list_display = [
        "position",
        "recorded_at",
        "stream_type",
        "event_type",
        "stream_id",
        "version",
        "timeline",
    ]
    list_filter = [StreamTypeFilter, EventTypeFilter]
    search_fields = ["=stream_id"]
    search_help_text = "A stream id, a command id or a correlation id."
    date_hierarchy = "recorded_at"  # drawn from the calendar: see shop/templatetags
    ordering = ["-position"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are a COUNT per filter choice
    paginator = EstimatedCountPaginator
    list_per_page = 50
    fields = [
        "position",
        "recorded_at",
        "stream_type",
        "stream_id",
        "timeline",
        "version",
        "event_type",
        "schema_version",
        "data_json",
        "metadata_json",
    ]
    readonly_fields = fields

    @admin.display(description="data")
    def data_json(self, obj: Event) -> str:
        return pretty_json(obj.data)

    @admin.display(description="metadata")
    def metadata_json(self, obj: Event) -> str:
        return pretty_json(obj.metadata)

    @admin.display(description="timeline")
    def timeline(self, obj: Event) -> str:
        return stream_link(obj.stream_id, f"{obj.stream_type} timeline")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            value = UUID(term)
        except ValueError:
            return queryset.none(), False
        # The same expressions as the event_command_id_idx / event_correlation_id_idx indexes
        # (metadata ->> 'command_id' on PostgreSQL), compared as text.
        return queryset.filter(
            Q(stream_id=value)
            | Exact(KeyTextTransform("command_id", "metadata"), str(value))
            | Exact(KeyTextTransform("correlation_id", "metadata"), str(value))
        ), False

    # --- Staff pages beside the list ------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("stream/<uuid:stream_id>/", view(self.stream_view), name="shop_event_stream"),
            path("insight/", view(self.insight_view), name="shop_event_insight"),
            *super().get_urls(),
        ]

    def _context(self, request, title: str) -> dict:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def stream_view(self, request, stream_id: UUID):
        context = self._context(request, f"Stream {stream_id}")
        rows = list(Event.objects.filter(stream_id=stream_id).order_by("version"))
        if not rows:
            raise Http404("No events in this stream.")
        try:
            decider = aggregates.decider_for(rows[0].stream_type)
        except aggregates.UnknownStreamType:
            decider = None
        try:
            recorded = [to_recorded(row) for row in rows]
        except registry.UnknownEventType as unknown:
            # An event type no app registers (yet): show the stored payloads, no state.
            context["unknown_type"] = str(unknown)
            decider, recorded = None, [None] * len(rows)
        except ValueError:
            # A payload the current event class cannot read (no upcaster): show it as stored.
            context["unknown_type"] = "a payload that does not match its event type"
            decider, recorded = None, [None] * len(rows)
        timeline = stream_timeline(decider, [r for r in recorded if r is not None])
        states = {entry.recorded.position: entry for entry in timeline}
        entries = []
        for row in rows:
            entry = states.get(row.pk)
            entries.append(
                {
                    "row": row,
                    "data": pretty_json(row.data),
                    "event": pretty_json(plain(entry.event) if entry else row.data),
                    "upcast": entry is not None
                    and row.schema_version != registry.get(row.event_type).schema_version,
                    "state": pretty_json(plain(entry.state)) if entry and decider else "",
                }
            )
        context.update(
            stream_id=stream_id,
            stream_type=rows[0].stream_type,
            decider=decider,
            entries=entries,
            products=insight.product_names(timeline),
            initial_state=pretty_json(plain(decider.initial_state)) if decider else "",
        )
        return TemplateResponse(request, "admin/shop/event/stream.html", context)

    def insight_view(self, request):
        context = self._context(request, "Insight")
        try:
            hours = max(1, min(int(request.GET.get("hours", 24)), 24 * 90))
        except ValueError:
            hours = 24
        context.update(insight.build(hours=hours))
        return TemplateResponse(request, "admin/shop/event/insight.html", context)
