"""Programme reference data (countries, priorities, call rules) memoised per server process.

Every evaluation of an application needs the 135 countries and its call's flattened rules; reading and
rebuilding them on each autosave was a large share of a save's cost. They are kept here in a per-process
memo guarded by a *data version*: a token in the database (:class:`~.models.ReferenceDataStamp`) that is
replaced whenever a programme model is saved or deleted (the admin, ``load_programme``, a shell) — so an
edit is seen by every gunicorn worker at its next request, whatever the cache backend (the demo and the
bench run without Redis, where the Django cache is per process). Reading the token is one indexed query.

``bump()`` is connected to ``post_save``/``post_delete`` of the programme models in
``ApplicationsConfig.ready``; call it yourself after bulk updates (``QuerySet.update`` sends no signal).
After the edit commits it also has the stored section statuses of open applications refreshed (a task).
"""

import threading
import uuid

from django.db import transaction

KEY = "programme"
_lock = threading.Lock()
_memo = {"token": None, "values": {}}
# Programme models whose rows feed no eligibility rule (staff of an agency) do not bump the version.
IGNORED = {"agencymembership"}


def current_token():
    """The data version now, or None when the table is not there yet (no memo then)."""
    from .models import ReferenceDataStamp

    try:
        return ReferenceDataStamp.objects.filter(key=KEY).values_list("token", flat=True).first()
    except Exception:  # noqa: BLE001 - e.g. during migrations, before the table exists
        return None


def token_for(application):
    """The data version, read once per application instance (one small query per request)."""
    cache = application.__dict__
    if "_eplus_token" not in cache:
        cache["_eplus_token"] = current_token()
    return cache["_eplus_token"]


def active_priorities(application):
    from eplus.programme.models import Priority

    return memoised(("priorities",), lambda: tuple(Priority.objects.filter(active=True)), token_for(application))


def active_topics(application):
    from eplus.programme.models import Topic

    return memoised(("topics",), lambda: tuple(Topic.objects.filter(active=True).order_by("position", "code")),
                    token_for(application))


def bump(**_kwargs):
    """Replace the data version (a fresh random token: a rolled-back edit can never reuse a version)."""
    from .models import ReferenceDataStamp

    token = uuid.uuid4().hex
    if not ReferenceDataStamp.objects.filter(key=KEY).update(token=token):
        ReferenceDataStamp.objects.get_or_create(key=KEY, defaults={"token": token})
    with _lock:
        _memo["token"], _memo["values"] = None, {}
    # If the edit's transaction rolls back, the old token is back: forget what was memoised meanwhile.
    transaction.on_commit(forget)
    # A priority switched off or a changed rule can change the status of sections: once the edit commits,
    # the stored statuses of the open applications are brought up to date (once per transaction).
    if not any(item[1] is refresh_statuses_later for item in transaction.get_connection().run_on_commit):
        transaction.on_commit(refresh_statuses_later)


def refresh_statuses_later():
    from .tasks import refresh_section_statuses

    refresh_section_statuses.enqueue()


def forget():
    with _lock:
        _memo["token"], _memo["values"] = None, {}


def memoised(key, compute, token):
    """``compute()`` once per process and data version ``token`` (from :func:`current_token`)."""
    if token is None:
        return compute()
    with _lock:
        if _memo["token"] == token and key in _memo["values"]:
            return _memo["values"][key]
    value = compute()
    with _lock:
        if _memo["token"] != token:
            _memo["token"], _memo["values"] = token, {}
        _memo["values"][key] = value
    return value


def connect_signals():
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for model in apps.get_app_config("programme").get_models():
        if model._meta.model_name in IGNORED:
            continue
        post_save.connect(bump, sender=model, dispatch_uid=f"eplus-refdata-save-{model._meta.label_lower}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"eplus-refdata-delete-{model._meta.label_lower}")
