from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from . import ratelimit
from .permissions import public


@public
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@public
def privacy(request):
    return render(request, "core/privacy.html")


# allauth's own limits (sign-up, log-in, password reset) keep their windows to themselves: their shortest
# window is a minute, so that is when trying again is worth it.
ALLAUTH_RETRY_AFTER_SECONDS = 60


@public
def too_many_requests(request, exception=None):
    """The 429 answer of allauth's limits (config.urls.handler429), with Retry-After."""
    return ratelimit.too_many_requests(request, ALLAUTH_RETRY_AFTER_SECONDS)
