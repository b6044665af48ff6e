import json

from django.contrib import admin
from django.utils.html import format_html

from shop.models import Event


def pretty_json(value) -> str:
    return format_html(
        '<pre class="event-json">{}</pre>', json.dumps(value, indent=2, sort_keys=True)
    )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The event log, read-only: nobody adds, changes or deletes history, superusers neither."""

    list_display = ["position", "recorded_at", "stream_type", "event_type", "stream_id", "version"]
    list_filter = ["stream_type", "event_type"]
    search_fields = ["=stream_id"]
    date_hierarchy = "recorded_at"
    ordering = ["-position"]
    show_full_result_count = False
    list_per_page = 50
    fields = [
        "position",
        "recorded_at",
        "stream_type",
        "stream_id",
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
