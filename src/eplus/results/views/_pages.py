"""What the results pages share: the cache of public page bodies, of whole pages for visitors who are not
signed in, and of the page layout those visitors see (the paging links are eplus.core.paging)."""

import hashlib
import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import conditional_escape, escape
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
_TOKEN_FIELD_TEXT = re.compile(_TOKEN_FIELD.pattern.decode())  # the same, in rendered text (render_public)
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


# The parts of a visitor's page that differ from one page to the next: everything else of the layout (head,
# header, navigation, footer) is the same for every visitor who is not signed in, in one language.
_LAYOUT_MARKS = {"title": "{eplus-layout-title}", "body": "{eplus-layout-body}",
                 "path": "{eplus-layout-path}", "token": "{eplus-layout-token}"}
_LAYOUT_SPLIT = re.compile("(" + "|".join(re.escape(mark) for mark in _LAYOUT_MARKS.values()) + ")")
_MARK_NAMES = {mark: name for name, mark in _LAYOUT_MARKS.items()}
_layouts = {}  # (template name, language) → the rendered layout split at the marks; per process


@receiver(setting_changed)
def _forget_layouts(*, setting, **kwargs):
    if setting in ("TEMPLATES", "LANGUAGES", "LANGUAGE_CODE", "STATIC_URL", "STORAGES"):
        _layouts.clear()


def render_public(request, template_name, context):
    """``render(request, template_name, context)`` for a public page whose context is its ``title`` and
    ``body``. For a visitor whose whole page is stored (whole_page_cached), the template is rendered once per
    process and language around marks, and each page fills in its title, body, the language switch's return
    path and the form token: the layout was two of the ten milliseconds of a project page not yet cached."""
    if not getattr(request, "_eplus_whole_page", False) or set(context) != {"title", "body"}:
        return render(request, template_name, context)
    key = (template_name, get_language())
    parts = _layouts.get(key)
    if parts is None:
        parts = _layouts[key] = _layout(request, template_name)
    values = {"title": conditional_escape(context["title"]), "body": context["body"],
              "path": escape(request.get_full_path()), "token": get_token(request)}
    return HttpResponse("".join(values[_MARK_NAMES[part]] if index % 2 else part
                                for index, part in enumerate(parts)))


def _layout(request, template_name):
    html = render_to_string(template_name, {"title": _LAYOUT_MARKS["title"], "body": mark_safe(_LAYOUT_MARKS["body"]),
                                            "language_next": _LAYOUT_MARKS["path"]}, request)
    html = _TOKEN_FIELD_TEXT.sub(r"\g<1>" + _LAYOUT_MARKS["token"] + r"\g<2>", html)
    return _LAYOUT_SPLIT.split(html)

