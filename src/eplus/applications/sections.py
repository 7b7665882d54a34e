"""Saving a section: optimistic versioning (of two saves from the same base exactly one wins, the other
gets both versions), the history of versions, the context mirrored onto the application's columns, and
the statuses of the task list brought up to date."""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, diff, record

from . import forms as section_forms
from .eligibility import evaluate
from .models import Application, Section, SectionVersion
from .rules import require, require_open
from .statuses import refresh_statuses
from .values import parse_date, parse_int, parse_money


@dataclass
class Saved:
    section: Section
    verdict: object
    conflict = False


@dataclass
class Conflict:
    """Someone saved the section since ``base_version``: both versions, so the user chooses."""

    section: Section  # as it is now (theirs)
    theirs: dict
    theirs_version: int
    yours: dict
    base_version: int
    conflict = True


def bump_section(application, key, user, note):
    """Record a change made by an action (not a form) in the section's version and history."""
    section = Section.objects.select_for_update().get(application=application, key=key)
    section.version += 1
    section.updated_by, section.updated_at = user, clock.now()
    section.save(update_fields=["version", "updated_by", "updated_at"])
    SectionVersion.objects.create(section=section, version=section.version, data=section.data,
                                  saved_by=user, saved_at=section.updated_at, note=note[:100])


def may_change(application, user):
    """Raise unless ``user`` may change the application and its call is still open."""
    require(user, "applications.change_application", application)
    require_open(application)


@contextmanager
def locked_change(application, user):
    """A change of the application under its row lock, acting as ``user``; the statuses are stored again
    afterwards (a partner or an annex can complete or break a section)."""
    with acting_as(user), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        yield
    refresh_statuses(application)


def _sync_context(application, data, user):
    """Mirror the context section onto the application's own columns (lists, numbers, the agency)."""
    application.language = str(data.get("language") or "")[:8]
    application.title = str(data.get("title") or "")[:255]
    application.start_date = parse_date(data.get("start_date"))
    duration = parse_int(data.get("duration_months"))
    application.duration_months = duration if duration is not None and 0 < duration < 32767 else None
    lump_sum = parse_money(data.get("lump_sum"))
    application.lump_sum = lump_sum if lump_sum is not None and abs(lump_sum) < Decimal("1e11") else None
    with acting_as(user):
        application.save(audit_verb="save-context")


def _checked_input(application, key, data, base_version, user):
    """The base version as a number, after checking the user, the deadline and the data's shape."""
    if key not in section_forms.FORM_SECTIONS:
        raise ValidationError(_("This section is not saved as a form."))
    may_change(application, user)
    if not isinstance(data, dict):
        raise ValidationError(_("Section data must be a JSON object."))
    try:
        return int(base_version)
    except (TypeError, ValueError):
        raise ValidationError(_("The version of the section is missing; reload the page.")) from None


def _write(application, key, data, base_version, user):
    """``UPDATE … WHERE version = base_version``: the saved (locked) section, or None on a conflict."""
    now = clock.now()
    before = Section.objects.filter(application=application, key=key).values("data").first()
    updated = Section.objects.filter(application=application, key=key, version=base_version).update(
        data=data, version=F("version") + 1, updated_by=user, updated_at=now)
    section = Section.objects.select_for_update().get(application=application, key=key)
    if not updated and not SectionVersion.objects.filter(section=section, version__gt=base_version) \
            .exclude(saved_by=user).exists():
        # Only your own saves came in between (an autosave still in flight when you pressed Save):
        # a person does not conflict with themselves.
        updated = Section.objects.filter(pk=section.pk, version=section.version).update(
            data=data, version=F("version") + 1, updated_by=user, updated_at=now)
        section.refresh_from_db()
    if not updated:
        return section, False
    SectionVersion.objects.create(section=section, version=section.version, data=data, saved_by=user, saved_at=now)
    record(section, "update", changes=diff({"data": (before or {}).get("data")}, {"data": data}),
           verb="save-section", actor=user, agency_code=application.agency.code)
    if key == "context":
        _sync_context(application, data, user)
    return section, True


def save_section(application, key, data, base_version, user):
    """Save one section if nobody saved it since ``base_version``; else return a Conflict with both.

    The write is ``UPDATE … WHERE version = base_version`` inside a transaction, so of two saves from the
    same base exactly one wins; the other gets a Conflict carrying their and your data (nothing lost).
    The engine runs on every save (its messages come back with it) and the statuses of every section are
    stored again: a change here can complete or break another section.
    """
    base_version = _checked_input(application, key, data, base_version, user)
    current = Section.objects.filter(application=application, key=key).values("data", "version").first()
    if current is None:
        raise ValidationError(_("This section does not exist."))
    if current["data"] == data and current["version"] >= base_version:
        # Nothing changed (or the other save holds exactly your data): no new version, no conflict.
        return Saved(section=Section.objects.get(application=application, key=key), verdict=evaluate(application))
    with transaction.atomic():
        section, saved = _write(application, key, data, base_version, user)
        if not saved:
            return Conflict(section=section, theirs=section.data, theirs_version=section.version, yours=data,
                            base_version=base_version)
    verdict, statuses = refresh_statuses(application)
    section.status = statuses.get(key, section.status)
    return Saved(section=section, verdict=verdict)
