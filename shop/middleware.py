import uuid


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
