"""Staff see everything: the event log, every stream's timeline, and the pages apps add.

The log is read-only in the admin, for superusers too. ``stream_link(stream_id)`` links any
admin page (products, carts, orders) to the stream's timeline. The kernel knows no app:
an app adds a staff page beside the log (``register_staff_page``) and names its streams on
the timelines that mention them (``register_stream_names``) from its own admin module.
"""

import contextlib
import contextvars
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Max, Min, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.timezone import localtime

from shop import aggregates, personal, registry
from shop.eventstore import to_recorded
from shop.models import Event
from shop.timeline import TimelineEntry, plain, stream_timeline, summary


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


# --- What apps add: staff pages, and the names of their streams -----------------------------


@dataclass(frozen=True, slots=True)
class StaffPage:
    """A page an app adds beside the event log, for staff who may read events.

    Served at /admin/shop/event/<name>/ (URL name ``admin:shop_event_<name>``) and linked
    from the admin index ("<title>: <summary>") and the event list. ``view(request,
    context)`` gets the admin's context for the page and returns the response.
    """

    name: str
    title: str
    summary: str
    view: Callable[[HttpRequest, dict], HttpResponse]

    @property
    def url(self) -> str:
        return reverse(f"admin:shop_event_{self.name}")


STAFF_PAGES: dict[str, StaffPage] = {}
# stream type -> names(ids) -> {id: display name} for the streams of that type it knows
STREAM_NAMES: dict[str, Callable[[list[UUID]], dict[UUID, str]]] = {}


def register_staff_page(page: StaffPage) -> None:
    STAFF_PAGES[page.name] = page


def register_stream_names(stream_type: str, names: Callable[[list[UUID]], dict[UUID, str]]) -> None:
    STREAM_NAMES[stream_type] = names


def mentioned_streams(
    stream_id: UUID, timeline: Iterable[TimelineEntry]
) -> list[tuple[UUID, str, str]]:
    """(id, stream type, name) of the other streams a stream's events or states name.

    A stream is named by an ``…_id`` field holding its id; its name comes from the app that
    registered names for its stream type ("" where none did).
    """
    found: set[UUID] = set()

    def collect(value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith("_id") and isinstance(item, str):
                    with contextlib.suppress(ValueError):
                        found.add(UUID(item))
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for entry in timeline:
        collect(plain(entry.event))
        collect(plain(entry.state))
    found.discard(stream_id)
    types = dict(
        Event.objects.filter(stream_id__in=found, version=1).values_list("stream_id", "stream_type")
    )
    by_type: dict[str, list[UUID]] = defaultdict(list)
    for stream, stream_type in types.items():
        by_type[stream_type].append(stream)
    names: dict[UUID, str] = {}
    for stream_type, ids in by_type.items():
        if stream_type in STREAM_NAMES:
            names.update(STREAM_NAMES[stream_type](ids))
    streams = [(stream, kind, names.get(stream, "")) for stream, kind in types.items()]
    return sorted(streams, key=lambda s: (s[1], s[2], str(s[0])))


def actor_name(actor: str) -> str:
    """Who an event's ``actor`` metadata names, in words: a username, a guest, staff."""
    kind, _, key = (actor or "").partition(":")
    if kind in ("user", "staff"):
        username = (
            get_user_model()
            .objects.filter(pk=key if key.isdigit() else None)
            .values_list("username", flat=True)
            .first()
        )
        return f"{'staff ' if kind == 'staff' else ''}{username or 'a deleted user'}"
    return {"guest": "a guest", "system": "the system"}.get(kind, actor or "someone")


def stream_name(rows: list[Event]) -> str:
    """A stream in words: the name its app registered for it (a product's name), or whose
    it is (the actor of its first event) and its short id."""
    first = rows[0]
    names = STREAM_NAMES.get(first.stream_type)
    name = names([first.stream_id]).get(first.stream_id) if names else None
    if name:
        return name
    return f"of {actor_name(first.metadata.get('actor', ''))} ({str(first.stream_id)[:8]}…)"


def stream_id_short(stream_id: UUID) -> str:
    """The whole id in the page (hover shows it, copying takes it), eight characters shown."""
    return format_html('<span class="stream-id" title="{}">{}</span>', stream_id, stream_id)


# --- List filters from the registry: no DISTINCT over a million rows ------------------------


PERSONAL_DATA_PERMISSION = "shop.view_personal_data"
_sees_personal_data = contextvars.ContextVar("sees_personal_data", default=False)


def sees_personal_data(request: HttpRequest) -> bool:
    """Whether these staff may see customers' personal data (``shop.view_personal_data``)."""
    return request.user.has_perm(PERSONAL_DATA_PERMISSION)


def event_data_for_staff(event_type: str, data, sees: bool):
    """An event's JSON for a staff page: decrypted for staff who may see personal data,
    its personal fields masked for the others."""
    if not isinstance(data, dict):
        return data
    return personal.reveal(data) if sees else personal.mask(event_type, data)


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
        "recorded",
        "event_type",
        "stream",
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
        return pretty_json(
            event_data_for_staff(obj.event_type, obj.data, _sees_personal_data.get())
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = _sees_personal_data.set(sees_personal_data(request))
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _sees_personal_data.reset(token)

    @admin.display(description="metadata")
    def metadata_json(self, obj: Event) -> str:
        return pretty_json(obj.metadata)

    @admin.display(description="recorded at", ordering="recorded_at")
    def recorded(self, obj: Event) -> str:
        """Compact, so the list fits 1,280 px; the event's own page has the full date."""
        return date_format(localtime(obj.recorded_at), "Y-m-d H:i:s")

    @admin.display(description="stream id", ordering="stream_id")
    def stream(self, obj: Event) -> str:
        return stream_id_short(obj.stream_id)

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
            *(
                path(f"{page.name}/", view(self.staff_page_view(page)), name=f"shop_event_{name}")
                for name, page in STAFF_PAGES.items()
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title: str) -> dict:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def stream_view(self, request, stream_id: UUID):
        context = self._context(request, "")
        rows = list(Event.objects.filter(stream_id=stream_id).order_by("version"))
        if not rows:
            raise Http404("No events in this stream.")
        context["title"] = f"{rows[0].stream_type.capitalize()} {stream_name(rows)}"
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
        mentioned = mentioned_streams(stream_id, timeline)
        names = {str(stream): name for stream, _, name in mentioned if name}
        entries = []
        sees = sees_personal_data(request)
        for row in rows:
            entry = states.get(row.pk)
            stored = event_data_for_staff(row.event_type, row.data, sees)
            event = stored
            if entry is not None:
                event = plain(entry.event)
                if not sees:
                    event = personal.mask(row.event_type, event)
            entries.append(
                {
                    "row": row,
                    "data": pretty_json(stored),
                    "event": pretty_json(event),
                    "summary": summary(event, names),
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
            mentioned=mentioned,
            initial_state=pretty_json(plain(decider.initial_state)) if decider else "",
        )
        return TemplateResponse(request, "admin/shop/event/stream.html", context)

    def staff_page_view(self, page: StaffPage):
        def view(request):
            return page.view(request, self._context(request, page.title))

        view.__name__ = f"{page.name}_view"
        return view
