"""Saving a section: optimistic versioning (of two saves from the same base exactly one wins, the other
gets both versions), the history of versions, the context mirrored onto the application's columns, and
the statuses of the task list brought up to date."""

from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
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


def _write(application, section, data, base_version, user):
    """Store ``data`` in the locked ``section`` unless someone else saved it since ``base_version``;
    True when it was stored."""
    if section.version != base_version and SectionVersion.objects.filter(
            section=section, version__gt=base_version).exclude(saved_by=user).exists():
        return False  # only your own saves in between (an autosave in flight when you pressed Save) pass
    now, before = clock.now(), section.data
    section.data, section.version, section.updated_by, section.updated_at = data, section.version + 1, user, now
    Section.objects.filter(pk=section.pk).update(data=data, version=section.version, updated_by=user, updated_at=now)
    SectionVersion.objects.create(section=section, version=section.version, data=data, saved_by=user, saved_at=now)
    record(section, "update", changes=diff({"data": before}, {"data": data}),
           verb="save-section", actor=user, agency_code=application.agency.code)
    if section.key == "context":
        _sync_context(application, data, user)
    return True


def save_section(application, key, data, base_version, user):
    """Save one section if nobody saved it since ``base_version``; else return a Conflict with both.

    The version is compared under the section's row lock, so of two saves from the same base exactly one
    wins; the other gets a Conflict carrying their and your data (nothing lost).
    The engine runs on every save (its messages come back with it) and the statuses of every section are
    stored again: a change here can complete or break another section.
    """
    base_version = _checked_input(application, key, data, base_version, user)
    with transaction.atomic():
        # The section's row lock: of two saves from the same base, the second sees the first's version.
        section = Section.objects.select_for_update().filter(application=application, key=key).first()
        if section is None:
            raise ValidationError(_("This section does not exist."))
        unchanged = section.data == data and section.version >= base_version
        if not unchanged and not _write(application, section, data, base_version, user):
            return Conflict(section=section, theirs=section.data, theirs_version=section.version, yours=data,
                            base_version=base_version)
    if unchanged:
        # Nothing changed (or the other save holds exactly your data): no new version, no conflict.
        return Saved(section=section, verdict=evaluate(application))
    verdict, statuses = refresh_statuses(application)
    section.status = statuses.get(key, section.status)
    return Saved(section=section, verdict=verdict)
