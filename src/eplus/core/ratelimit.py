"""Rate limits of the public endpoints (search, public API, open-data downloads) and of invitations, on
the shared cache (Redis in production, so that every worker counts together): a fixed window per scope
and client address (the address allauth's log-in limits use too, behind ALLAUTH_TRUSTED_PROXY_COUNT
proxies). The limits are settings (RATE_LIMITS, "amount/seconds"); signed-in agency staff, experts and
the Commission get RATE_LIMIT_TRUSTED_FACTOR times more. Over the limit: 429 with ``Retry-After``, as a page or as
JSON under /api/. allauth limits sign-up, log-in and password reset itself (ACCOUNT_RATE_LIMITS) and
answers through the same 429 page (config.urls.handler429)."""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _rate(scope):
    amount, seconds = settings.RATE_LIMITS[scope].split("/")
    return int(amount), int(seconds)


def _trusted(request):
    """Signed-in agency staff, experts and the Commission (those who must use a second factor; the API has
    no tokens of its own: its signed-in clients use the session)."""
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and getattr(user, "must_use_mfa", False)


def client_address(request):
    from allauth.account.adapter import get_adapter

    return get_adapter().get_client_ip(request)


def retry_after(request, scope):
    """Count this request in ``scope``; the seconds to wait when it is over the limit, else None."""
    amount, seconds = _rate(scope)
    if _trusted(request):
        amount *= settings.RATE_LIMIT_TRUSTED_FACTOR
    now = int(time.time())
    window = now // seconds
    count = _count(f"ratelimit:{scope}:{client_address(request)}:{window}", seconds)
    return seconds - now % seconds if count > amount else None


def _count(key, seconds):
    """The number of hits of ``key`` in its window, this one included."""
    count_hit = getattr(cache, "count_hit", None)
    if count_hit is not None:  # Redis (core.cache.RedisCache): one round trip
        return count_hit(key, seconds + 1)
    if cache.add(key, 1, seconds + 1):  # the local cache of the demo and unit tests
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, seconds + 1)
        return 1


def too_many_requests(request, seconds=None):
    """The 429 answer: a page, or JSON under /api/; ``Retry-After`` when the wait is known."""
    message = _("You have sent too many requests in a short time. Wait a moment, then try again.")
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "core/too_many_requests.html", {"message": message, "seconds": seconds},
                          status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def rate_limited(scope):
    """Answer 429 instead of running the view when the client is over the limit of ``scope``."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = retry_after(request, scope)
            if wait is not None:
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
