"""What every view needs: who is asking, and how to refuse clearly."""

import uuid
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from shop.aggregates import CommandContext

SHOPPER_KEY = "shopper_id"


def actor_of(request: HttpRequest) -> str:
    """``user:<id>`` for customers; a random id kept in the session for guests."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    shopper = request.session.get(SHOPPER_KEY)
    if shopper is None:
        shopper = request.session[SHOPPER_KEY] = uuid.uuid4().hex
    return f"guest:{shopper}"


def command_context(request: HttpRequest, command_id: UUID | None = None) -> CommandContext:
    return CommandContext(
        actor=actor_of(request),
        command_id=command_id or uuid.uuid4(),
        correlation_id=getattr(request, "correlation_id", None) or uuid.uuid4(),
    )


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def refuse(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """A 4xx answer with a message: a partial for htmx, a whole page otherwise."""
    template = "shop/refused.html#refusal" if request.htmx else "shop/refused.html"
    return render(request, template, {"message": message, "status": status}, status=status)
