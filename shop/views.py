import sys

from django.db import DatabaseError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

UNAVAILABLE_RETRY_AFTER = "5"


@never_cache
@require_safe
def healthz(request):
    """200 when this process can reach its database; 503 otherwise. For load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        response["Retry-After"] = UNAVAILABLE_RETRY_AFTER
        return response
    return JsonResponse({"status": "ok", "database": "ok"})


def unavailable(request=None) -> HttpResponse:
    body = loader.render_to_string("503.html")
    response = HttpResponse(body, status=503)
    response["Retry-After"] = UNAVAILABLE_RETRY_AFTER
    return response


def server_error(request):
    """The 500 handler: a database that is down or busy answers 503 "try again"."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError):
        return unavailable(request)
    return HttpResponseServerError(loader.render_to_string("500.html"))
