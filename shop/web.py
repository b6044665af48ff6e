"""What every view needs: who is asking, and how to refuse clearly."""

import uuid
from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
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


def local_path(candidate: str | None) -> str | None:
    """``candidate`` if it is a path on this site ("/cart/", "/?q=tea"), else ``None``.

    Anything a shopper can send lands here: a bare word, a number, JSON, a URL name, a
    scheme-relative "//host" or an absolute URL is not a local path.
    """
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts=None)
    ):
        return candidate
    return None


def redirect_to_next(candidate: str | None, default, *args, **kwargs) -> HttpResponseRedirect:
    """Redirect to the shopper-supplied ``candidate`` if it is a local path, else to
    ``default`` (a URL, a URL name or a model, as for ``redirect()``).

    Every view that redirects to a target the shopper supplied goes through here: it never
    hands such a value to ``redirect()``, which would try a bare word as a URL name.
    """
    return HttpResponseRedirect(local_path(candidate) or resolve_url(default, *args, **kwargs))


def refuse(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """A 4xx answer with a message: a partial for htmx (the messages, out of band), a whole
    page otherwise.

    The whole page is a dead end (no form, links back to the shop): views answer a refusal
    with the page the shopper was on instead (carts/views.py, orders/views.py). Only the
    last resorts use it: a body too large (stopped before any view runs) and a command that
    lost every retry to concurrent writers where no view caught it (shop/middleware.py)."""
    htmx = getattr(request, "htmx", False)  # False before django-htmx's middleware has run
    template = "shop/refused.html#refusal" if htmx else "shop/refused.html"
    return render(request, template, {"message": message, "status": status}, status=status)
