import uuid

from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.urls import reverse


class CorrelationIdMiddleware:
    """Give each request a correlation id, stored in the metadata of every event it causes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.correlation_id = uuid.uuid4()
        response = self.get_response(request)
        response["X-Correlation-Id"] = str(request.correlation_id)
        return response


class ConcurrencyConflictMiddleware:
    """A command that lost every retry to concurrent writers gets a clear 409, not a 500."""

    MESSAGE = "Someone changed this at the same moment. Nothing was saved: please try again."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from shop.eventstore import ConcurrencyError
        from shop.web import refuse

        if isinstance(exception, ConcurrencyError):
            return refuse(request, self.MESSAGE, status=409)
        return None


class HttpMethodsMiddleware:
    """405 for every method the shop never serves, on every URL (the admin's too).

    Views say which of GET, HEAD and POST they take; a method none of them takes (PUT,
    PATCH, DELETE, TRACE, …) stops here, because Django's form views (the admin's log-in
    among them) would otherwise treat a PUT as a POST.
    """

    SERVED = ("GET", "HEAD", "OPTIONS", "POST")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.SERVED:
            return HttpResponseNotAllowed(self.SERVED)
        return self.get_response(request)


class RequestSizeMiddleware:
    """Refuse a request body larger than its endpoint takes, before anything reads it.

    Only staff upload files, on the admin's pages; there a body may hold up to
    ``SHOP_UPLOAD_MAX_BYTES``. Everywhere else a body may hold what a plain form may
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB): Django enforces that for form fields only,
    and without this the CSRF check's first look at ``request.POST`` would spool every file
    of a big multipart body to disk before the post is refused. A body this small never
    reaches the disk (``FILE_UPLOAD_MAX_MEMORY_SIZE`` is as large). Goes after the
    authentication middleware (it asks who is posting) and before the CSRF middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = self.limit(request)
            if length > limit:
                from shop.web import refuse

                message = f"That is more than this page takes (at most {limit / 2**20:.1f} MB)."
                return refuse(request, message, status=413)
        return self.get_response(request)

    def limit(self, request) -> int:
        uploads = (
            request.content_type == "multipart/form-data"
            and request.path.startswith(reverse("admin:index"))
            and request.user.is_staff
        )
        return settings.SHOP_UPLOAD_MAX_BYTES if uploads else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
