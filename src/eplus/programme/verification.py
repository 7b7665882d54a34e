"""Figures the programme data marks "verify": listed for agency administrators to confirm or correct.

A call's figure is *to verify* when its entry in ``Call.sources`` says "verify" (the data files write
e.g. ``"late_submission_after_incident_hours": "… 24 hours assumed; verify"``). A figure is named by
that key and read from the call:

- a field of the call (``award_criteria``, ``payment_schedule``, ``lots``, ``max_topics`` …);
- a key of ``other_rules`` (``late_submission_after_incident_hours`` …);
- a group of fields (``duration`` → ``duration_min_months`` and ``duration_max_months``, as an object).

Confirming records who and when; correcting sets the new value on the call (checked like any call,
:meth:`~eplus.programme.models.Call.clean`) and records the value before and after. Both are rows of
:class:`~eplus.programme.models.FigureCheck` and audit events.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as

from .models import Call, FigureCheck

VERIFY = re.compile(r"\bverify\b", re.IGNORECASE)
GROUPS = {
    "duration": ("duration_min_months", "duration_max_months"),
    "start_window": ("start_earliest", "start_latest"),
}
READ_ONLY = {"id", "year", "action", "round", "sources", "other_rules"}


def _plain(value):
    """JSON-able: dates as ISO text, decimals as text."""
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


class UnknownFigure(LookupError):
    """The call has no figure of that name marked "verify"."""


@dataclass
class FigureToVerify:
    call: Call
    key: str
    note: str
    value: object
    last_check: FigureCheck | None

    @property
    def value_text(self):
        return json.dumps(self.value, ensure_ascii=False, indent=1)

    @property
    def confirmed(self):
        return self.last_check is not None


def _fields(key):
    if key in GROUPS:
        return GROUPS[key]
    names = {f.name for f in Call._meta.concrete_fields} - READ_ONLY
    return (key,) if key in names else None


def figure_value(call, key):
    """The current value of the figure ``key`` of ``call`` (plain JSON-able data)."""
    fields = _fields(key)
    if fields is None:
        if key not in (call.other_rules or {}):
            raise UnknownFigure(key)
        return call.other_rules[key]
    if len(fields) == 1:
        return _plain(getattr(call, fields[0]))
    return {name: _plain(getattr(call, name)) for name in fields}


def _set_value(call, key, value):
    fields = _fields(key)
    if fields is None:
        call.other_rules = dict(call.other_rules or {}, **{key: value})
    elif len(fields) == 1:
        setattr(call, fields[0], value)
    else:
        if not isinstance(value, dict) or set(value) != set(fields):
            raise ValidationError(_("Give an object with exactly these keys: %(keys)s.") % {"keys": ", ".join(fields)})
        for name in fields:
            setattr(call, name, value[name])


def figures_to_verify(calls=None):
    """Every call figure whose source says "verify", with its value and its last confirmation or correction."""
    calls = list(calls if calls is not None else Call.objects.select_related("action").order_by("-year", "deadline"))
    last = {}
    for check in FigureCheck.objects.filter(call__in=calls).select_related("decided_by").order_by("decided_at", "pk"):
        last[(check.call_id, check.figure)] = check
    rows = []
    for call in calls:
        for key, note in sorted((call.sources or {}).items()):
            if not isinstance(note, str) or not VERIFY.search(note):
                continue
            try:
                value = figure_value(call, key)
            except UnknownFigure:
                continue
            rows.append(FigureToVerify(call, key, note, value, last.get((call.pk, key))))
    return rows


def figure_for(call, key):
    for row in figures_to_verify([call]):
        if row.key == key:
            return row
    raise UnknownFigure(key)


def parse_value(text):
    """The corrected value typed as JSON (a number, a text in quotes, a list or an object)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"value": [_(
            "Type the value as in the box above: a number such as 24, a list in [ ] or an object in { }. "
            "It could not be read: %(problem)s.") % {"problem": str(exc)}]}) from exc


def confirm_figure(call, key, user, reason="", now=None):
    """Record that ``user`` confirmed the figure as it is; returns the FigureCheck."""
    with acting_as(user), transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        row = figure_for(call, key)
        check = FigureCheck(call=call, figure=key, outcome=FigureCheck.Outcome.CONFIRMED, previous_value=row.value,
                            value=row.value, reason=(reason or "").strip(), decided_by=user,
                            decided_at=now or timezone.now())
        check.save(audit_verb="confirm-figure", audit_reason=check.reason)
    return check


def correct_figure(call, key, value, user, reason, now=None):
    """Set the figure to ``value`` on the call (checked as any call is) and record the correction."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say where the correct figure comes from (e.g. the Programme Guide's "
                                            "page): other administrators will read it.")]})
    with acting_as(user), transaction.atomic():
        call = Call.objects.select_for_update().select_related("action").get(pk=call.pk)
        row = figure_for(call, key)
        try:
            _set_value(call, key, value)
            call.full_clean()
        except ValidationError as exc:
            messages = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
            raise ValidationError({"value": messages}) from exc
        except (TypeError, ValueError) as exc:
            raise ValidationError({"value": [_("This value does not fit the figure: %(problem)s.")
                                             % {"problem": str(exc)}]}) from exc
        call.save(audit_verb="correct-figure", audit_reason=f"{key}: {reason}")
        check = FigureCheck(call=call, figure=key, outcome=FigureCheck.Outcome.CORRECTED, previous_value=row.value,
                            value=figure_value(call, key), reason=reason, decided_by=user,
                            decided_at=now or timezone.now())
        check.save(audit_verb="correct-figure", audit_reason=reason)
    return check
