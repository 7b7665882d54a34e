"""Read replicas: when ``DATABASE_REPLICA_URL`` is set, the public read-only pages (project cards, search,
organisations, open data, the public API) read a replica of the database; everything else — every write,
every signed-in page, the task workers — uses the primary (``default``).

A view says it may read the replica with :func:`reads_replica`; the choice is made once per request and
kept in a context variable that :class:`ReplicaRouter` reads. A replica lags behind its primary, so:

- the user and the session are read from the primary before the view switches;
- after a change of public data (:func:`hold_primary`, called where the public page cache is bumped)
  public pages read the primary for ``DATABASE_REPLICA_MAX_LAG_SECONDS``: the editor sees the change at
  once, and no page built from the replica's older rows is cached under the new cache version;
- a streamed download (the filtered open-data CSV) keeps reading the replica while it is sent.
"""

import contextvars
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import connections

REPLICA = "replica"
_HOLD_KEY = "core:replica-hold-until"
_read_alias = contextvars.ContextVar("eplus_read_alias", default=None)


class ReplicaRouter:
    """Reads go where the current request chose (the primary unless :func:`reads_replica` said otherwise)."""

    def db_for_read(self, model, **hints):
        return _read_alias.get()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"  # the replica gets its schema by replication


def configured():
    return REPLICA in settings.DATABASES


def read_connection():
    """The connection for raw SQL reads of the current request (the replica or the primary)."""
    return connections[_read_alias.get() or "default"]


def hold_primary():
    """Public data changed: public pages read the primary until the replica has surely caught up."""
    if configured():
        lag = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        cache.set(_HOLD_KEY, time.time() + lag, lag + 1)


def _replica_usable():
    held_until = cache.get(_HOLD_KEY)
    return held_until is None or held_until <= time.time()


def _streamed_from(alias, chunks):
    token = _read_alias.set(alias)
    try:
        yield from chunks
    finally:
        _read_alias.reset(token)


def reads_replica(view):
    """Let a public, read-only view read the replica (GET and HEAD only)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not configured() or request.method not in ("GET", "HEAD") or not _replica_usable():
            return view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 (loads the session and the user from the primary now)
        token = _read_alias.set(REPLICA)
        try:
            response = view(request, *args, **kwargs)
        finally:
            _read_alias.reset(token)
        if getattr(response, "streaming", False) and not hasattr(response, "file_to_stream"):
            response.streaming_content = _streamed_from(REPLICA, response.streaming_content)
        return response

    return wrapped
