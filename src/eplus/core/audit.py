"""The one audit trail.

Every model that inherits :class:`AuditedModel` writes an :class:`AuditEvent` on create, update
(with field diffs) and delete, whoever saved it (a view, the admin, a command). The actor comes
from :func:`acting_as` (set per request by middleware, or explicitly by services and commands).
Values of fields whose names look secret are masked.
"""

import contextvars
import re
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.db import models

_actor = contextvars.ContextVar("eplus_audit_actor", default=None)

SECRET_FIELD = re.compile(r"pass|secret|token|key|totp|recovery|otp", re.IGNORECASE)
MASK = "••••••"


@contextmanager
def acting_as(user):
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    return _actor.get()


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, dict, str, int, float, bool)) or value is None:
        return value
    return str(value)


def snapshot(instance, fields=None):
    """Plain, JSON-friendly values of an instance's loaded concrete fields.

    Deferred fields (``.only()``/``.defer()``) are left out: reading one would load it from the
    database, and that load would snapshot the instance again, without end.
    """
    data = {}
    deferred = instance.get_deferred_fields()
    for field in instance._meta.concrete_fields:
        if (fields is not None and field.name not in fields) or field.attname in deferred:
            continue
        data[field.name] = _plain(getattr(instance, field.attname))
    return data


def diff(before, after):
    """{field: [old, new]} for the fields that changed; secrets masked."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            if SECRET_FIELD.search(name):
                old, new = (MASK if old else old), (MASK if new else new)
            changes[name] = [old, new]
    return changes


def _label(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return getattr(user, "email", "") or str(user)


def record(obj, action, *, changes=None, verb="", reason="", actor=None, agency_code=""):
    """Write one audit event about ``obj`` (a model instance)."""
    from eplus.core.models import AuditEvent

    actor = actor if actor is not None else current_actor()
    user = actor if getattr(actor, "is_authenticated", False) else None
    if not agency_code:
        agency_code = getattr(obj, "audit_agency_code", "") or ""
    return AuditEvent.objects.create(
        actor=user if user is not None and user.pk else None,
        actor_label=_label(actor),
        action=action,
        verb=verb,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes=changes or {},
        reason=reason,
        agency_code=agency_code,
    )


def history(obj):
    from eplus.core.models import AuditEvent

    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditedModel(models.Model):
    """Base model whose every create, update and delete lands in the audit trail."""

    # Fields left out of diffs (bookkeeping that changes on every save).
    audit_exclude = ("updated_at", "version")
    # The field whose change is a status change (recorded as such).
    audit_status_field = "status"

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The values as loaded; the snapshot is made from them when the instance is saved (most loaded
        # instances are only read: a list page, an export of 300 000 rows).
        instance._audit_loaded = (field_names, values)
        return instance

    def _audit_snapshot_before(self):
        if hasattr(self, "_audit_before"):
            return self._audit_before
        loaded = getattr(self, "_audit_loaded", None)
        if loaded is None:
            return None
        raw = dict(zip(*loaded, strict=True))
        return {field.name: _plain(raw[field.attname]) for field in self._meta.concrete_fields
                if field.attname in raw}

    def save(self, *args, audit_verb="", audit_reason="", **kwargs):
        creating = self._state.adding
        before = {} if creating else self._audit_snapshot_before()
        super().save(*args, **kwargs)
        after = snapshot(self)
        if creating:
            changes = diff({}, {k: v for k, v in after.items() if k not in self.audit_exclude})
            record(self, "create", changes=changes, verb=audit_verb, reason=audit_reason)
        else:
            if before is None:  # instance not loaded from the DB: compare with nothing known
                before = {}
            changes = diff(
                {k: v for k, v in before.items() if k not in self.audit_exclude},
                {k: v for k, v in after.items() if k not in self.audit_exclude},
            )
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                changes = {k: v for k, v in changes.items() if k in set(update_fields)}
            if changes or audit_verb:
                action = "status" if self.audit_status_field in changes else "update"
                record(self, action, changes=changes, verb=audit_verb, reason=audit_reason)
        self._audit_before = after

    def delete(self, *args, **kwargs):
        record(self, "delete", changes=diff(snapshot(self), {}))
        return super().delete(*args, **kwargs)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
