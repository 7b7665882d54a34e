from eplus.core.audit import acting_as


class AuditActorMiddleware:
    """Makes the request's user the actor of every audit event written while serving it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        with acting_as(user):
            return self.get_response(request)
