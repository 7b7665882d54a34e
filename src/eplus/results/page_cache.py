"""The public side's freshness: every publish event rebuilds the card's search row and invalidates the
cached public pages (keyed on a version number in the cache)."""

from django.core.cache import cache

PUBLIC_CACHE_TTL = 300
_VERSION_KEY = "results:public-version"


def public_cache_version():
    version = cache.get(_VERSION_KEY)
    if version is None:
        version = 1
        cache.add(_VERSION_KEY, version, None)
    return version


def bump_public_cache():
    """Invalidate every cached public page (called on every publish event)."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, None)


def reindex(card):
    """Rebuild the card's public search text, its search row and the facet counts (eplus.results.index)."""
    from .index import index_card

    index_card(card)


def public_changed(card):
    reindex(card)
    bump_public_cache()
