"""Staff see the subscriptions: a status page in place of the subscriber list, with retries."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from shop.admin import ReadOnlyAdmin
from subscriptions import core, emails, status
from subscriptions.models import Checkpoint, Email, EmailConsent, OutboxMessage, ParkedEvent


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    """``/admin/subscriptions/checkpoint/``: every subscriber's position and lag, and what
    is parked, with a Retry button per parked event or email."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "retry-event/<int:pk>/",
                view(require_POST(self.retry_event)),
                name="subscriptions_retry_event",
            ),
            path(
                "retry-email/<int:pk>/",
                view(require_POST(self.retry_email)),
                name="subscriptions_retry_email",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Subscriptions",
            "can_retry": request.user.has_perm("subscriptions.change_parkedevent"),
            **status.page(),
        }
        return TemplateResponse(request, "admin/subscriptions/status.html", context)

    def retry_event(self, request, pk: int):
        if not request.user.has_perm("subscriptions.change_parkedevent"):
            raise PermissionDenied
        parked = get_object_or_404(ParkedEvent, pk=pk)
        if core.retry_parked(parked):
            messages.success(request, f"Event #{parked.position} handled by {parked.subscriber}.")
        else:
            messages.error(request, f"Event #{parked.position} failed again; it stays parked.")
        return redirect("admin:subscriptions_checkpoint_changelist")

    def retry_email(self, request, pk: int):
        if not request.user.has_perm("subscriptions.change_email"):
            raise PermissionDenied
        email = get_object_or_404(Email, pk=pk, parked_at__isnull=False)
        emails.retry_email(email)
        messages.success(request, f"The email to {email.to} will be tried again now.")
        return redirect("admin:subscriptions_checkpoint_changelist")


@admin.register(Email)
class EmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "to", "created_at", "attempts", "sent_at", "parked_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter), "parked_at"]
    search_fields = ["to", "key"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["event_position", "routing_key", "created_at", "published_at"]
    list_filter = ["routing_key", ("published_at", admin.EmptyFieldListFilter)]


@admin.register(EmailConsent)
class EmailConsentAdmin(ReadOnlyAdmin):
    list_display = ["user", "cart_reminders", "updated_at"]
    list_filter = ["cart_reminders"]
