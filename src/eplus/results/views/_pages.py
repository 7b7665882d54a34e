"""What the results pages share: the cache of public page bodies and the paging links."""

import hashlib

from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..page_cache import PUBLIC_CACHE_TTL, public_cache_version


def cached(request, name, build):
    """``build()`` → dict (with "body" rendered HTML) cached per path, query string and language."""
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    key = f"results:page:{public_cache_version()}:{get_language()}:{name}:{digest}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, PUBLIC_CACHE_TTL)
    return {**data, "body": mark_safe(data["body"])}


def page_numbers(page):
    return {"has_previous": page.has_previous(), "has_next": page.has_next(), "number": page.number,
            "num_pages": page.paginator.num_pages, "count": page.paginator.count}


def with_page(request, number):
    params = request.GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


def paging_links(request, page):
    """The previous and next page's links ("" where there is none)."""
    return (with_page(request, page.number - 1) if page.has_previous() else "",
            with_page(request, page.number + 1) if page.has_next() else "")
