"""What the results pages share: the cache of public page bodies, and of whole pages for visitors who are
not signed in (the paging links are eplus.core.paging)."""

import hashlib
import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..page_cache import PUBLIC_CACHE_TTL, public_cache_version


def _key(request, kind):
    """The cache key of this request's page: per public version, language, path and query."""
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"results:{public_cache_version()}:{get_language()}:{kind}:{digest}"


def cached(request, name, build):
    """``build()`` → dict (with "body" rendered HTML) cached per path, query string and language."""
    if getattr(request, "_eplus_whole_page", False):  # the whole page is stored instead (whole_page_cached)
        data = build()
        return {**data, "body": mark_safe(data["body"])}
    key = _key(request, f"page:{name}")
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, PUBLIC_CACHE_TTL)
    return {**data, "body": mark_safe(data["body"])}


_TOKEN_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_TOKEN_MARK = b"{eplus-csrf-token}"


def whole_page_cached(view):
    """Cache the whole page for visitors who are not signed in and have nothing waiting for them (no
    messages, no session): per path and query, language and public cache version, like the bodies. The
    only personal part of such a page, the form token of the language switcher, is put back for each
    visitor. Signed-in users get the page built around the cached body (their header, their actions)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if (request.method not in ("GET", "HEAD") or request.user.is_authenticated
                or settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES):
            return view(request, *args, **kwargs)
        key = _key(request, "whole")
        stored = cache.get(key)
        if stored is not None:
            return HttpResponse(stored.replace(_TOKEN_MARK, get_token(request).encode()),
                                content_type="text/html; charset=utf-8")
        request._eplus_whole_page = True
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            cache.set(key, _TOKEN_FIELD.sub(rb"\1" + _TOKEN_MARK + rb"\2", response.content), PUBLIC_CACHE_TTL)
        return response

    return wrapped
