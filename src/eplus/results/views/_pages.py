"""What the results pages share: the cache of public page bodies (the paging links are eplus.core.paging)."""

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
