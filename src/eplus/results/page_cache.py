"""The public side's freshness: every publish event rebuilds the card's search row and invalidates the
cached public pages (keyed on a version number in the cache)."""

import time

from django.core.cache import cache
from django.db import transaction

from eplus.core.replica import hold_primary

PUBLIC_CACHE_TTL = 300
_VERSION_KEY = "results:public-version"


def public_cache_version():
    version = cache.get(_VERSION_KEY)
    if version is None:
        # A lost version (cache flushed or restarted) starts from the clock, above every version stored
        # before it: a built open-data file must never look fresh against a restarted count.
        cache.add(_VERSION_KEY, int(time.time() * 1000), None)
        version = cache.get(_VERSION_KEY)
    return version


def _next_version():
    hold_primary()  # public pages read the primary until a replica has this change
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        public_cache_version()
        cache.incr(_VERSION_KEY)


def bump_public_cache():
    """Invalidate every cached public page and schedule the open-data files' rebuild (called on every
    publish event). The version moves now and again after the commit: a page (or file) built from the old
    rows between the two must not be kept under the new version."""
    from .opendata_files import schedule_build

    _next_version()
    transaction.on_commit(_next_version)
    schedule_build()


def reindex(card):
    """Rebuild the card's public search text, its search row and the facet counts (eplus.results.index)."""
    from .index import index_card

    index_card(card)


def public_changed(card):
    reindex(card)
    bump_public_cache()
