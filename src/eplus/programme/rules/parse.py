"""Validate the public pre-check API's JSON into an ``Application``, naming every bad field.

``parse_request(payload)`` returns ``(application, errors)``: ``errors`` maps a field path
("lump_sum", "organisations[1].role", "work_packages[0].amount") to a message saying what to fix; when
it is not empty ``application`` is None and the API answers 422.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..identifiers import is_oid, normalise_oid
from .model import ORGANISATION_TYPES, ROLES, Activity, Application, Organisation, WorkPackage

ACTION_RE = re.compile(r"^KA\d{3}(-[A-Z]{3})?$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")

TOP_LEVEL = {"action", "call_year", "round", "lump_sum", "start_date", "duration_months", "submitted_at",
             "organisations", "work_packages", "activities", "priorities", "topics"}
ORG_KEYS = {"ref", "country", "role", "type", "established_on", "oid"}
WP_KEYS = {"number", "management", "amount"}
ACTIVITY_KEYS = {"amount"}


class _Errors(dict):
    def add(self, path, message):
        self.setdefault(path, message)


def _int(value, path, errors, low, high):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(path, _("Give a whole number."))
        return None
    if not low <= value <= high:
        errors.add(path, _("Give a whole number between %(low)d and %(high)d.") % {"low": low, "high": high})
        return None
    return value


def _amount(value, path, errors):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        errors.add(path, _("Give an amount in euros as a string, e.g. \"250000.00\"."))
        return None
    try:
        # a JSON float becomes the decimal it was written as (repr), never binary-rounded money
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        errors.add(path, _("Give an amount in euros as a string, e.g. \"250000.00\"."))
        return None
    if not amount.is_finite():
        errors.add(path, _("Give an amount in euros as a string, e.g. \"250000.00\"."))
        return None
    if amount < 0:
        errors.add(path, _("The amount cannot be negative."))
        return None
    if amount >= Decimal("1e12"):
        errors.add(path, _("The amount is too large; give it in euros, e.g. \"250000.00\"."))
        return None
    if amount == 0:
        amount = Decimal(0)  # also "-0" and "0.000"
    elif amount.as_tuple().exponent < -2 and (amount.adjusted() < -2 or amount != amount.quantize(Decimal("0.01"))):
        errors.add(path, _("Give the amount in euros with at most two decimals."))
        return None
    return amount.quantize(Decimal("0.01"))


def _date(value, path, errors):
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        errors.add(path, _("Give a date as YYYY-MM-DD, e.g. 2026-09-01."))
        return None


def _instant(value, path, errors):
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError
        instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        errors.add(path, _("Give a date and time in ISO 8601 with its offset, e.g. 2026-03-05T10:59:59Z."))
        return None
    if instant.tzinfo is None:
        errors.add(path, _("Add the time zone offset (e.g. Z or +01:00): without it the time is ambiguous."))
        return None
    return instant


def _strings(value, path, errors):
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors.add(path, _("Give a list of codes (non-empty strings)."))
        return None
    return tuple(v.strip() for v in value)


def _list(value, path, errors):
    if value is None:
        return None
    if not isinstance(value, list):
        errors.add(path, _("Give a list."))
        return None
    return value


def _unknown_keys(item, allowed, path, errors):
    for key in sorted(set(item) - allowed):
        errors.add(f"{path}.{key}" if path else key, _("This field is unknown; remove it or check its spelling."))


def _organisation(item, path, errors, known_countries):
    if not isinstance(item, dict):
        errors.add(path, _("Give each organisation as an object with ref, country and role."))
        return None
    _unknown_keys(item, ORG_KEYS, path, errors)
    before = len(errors)
    ref = item.get("ref")
    if not isinstance(ref, (str, int)) or isinstance(ref, bool) or str(ref).strip() == "":
        errors.add(f"{path}.ref", _("Give each organisation a reference (ref) unique within the request."))
    country = item.get("country")
    if not isinstance(country, str) or not COUNTRY_RE.match(country.strip().upper()):
        errors.add(f"{path}.country", _("Give the country as a two-letter ISO code, e.g. LV."))
    elif known_countries is not None and country.strip().upper() not in known_countries:
        errors.add(f"{path}.country", _("This country code is not known to the programme."))
    role = item.get("role")
    if role not in ROLES:
        errors.add(f"{path}.role", _("Give the role as one of: %(roles)s.") % {"roles": ", ".join(ROLES)})
    kind = item.get("type")
    if kind is not None and kind not in ORGANISATION_TYPES:
        errors.add(f"{path}.type", _("Give the organisation type as one of: %(types)s.") % {
            "types": ", ".join(ORGANISATION_TYPES)})
    established = _date(item.get("established_on"), f"{path}.established_on", errors)
    oid = item.get("oid")
    if oid is not None:
        if isinstance(oid, str) and is_oid(oid):
            oid = normalise_oid(oid)  # the one OID rule of the platform: e10234567 is E10234567
        else:
            errors.add(f"{path}.oid", _("Give the OID as E followed by 8 digits, e.g. E10234567."))
    if len(errors) > before:
        return None
    return Organisation(ref=str(ref).strip(), country=country.strip().upper(), role=role, type=kind,
                        established_on=established, oid=oid)


def _action(value, known_actions, errors):
    if not isinstance(value, str) or not ACTION_RE.match(value):
        errors.add("action", _("Give the action as its code, e.g. KA220-VET."))
    elif known_actions is not None and value not in known_actions:
        errors.add("action", _("There is no call for this action; choose one of: %(actions)s.") % {
            "actions": ", ".join(sorted(known_actions))})
    return value


def _organisations(value, errors, known_countries):
    """The organisations (None when absent), each reference given once."""
    items = _list(value, "organisations", errors)
    if items is None:
        return None
    parsed = [_organisation(item, f"organisations[{i}]", errors, known_countries) for i, item in enumerate(items)]
    seen = {}
    for i, org in enumerate(parsed):
        if org is None:
            continue
        if org.ref in seen:
            errors.add(f"organisations[{i}].ref", _("This reference is already used by organisations[%(i)d]; "
                                                    "give each organisation its own.") % {"i": seen[org.ref]})
        seen.setdefault(org.ref, i)
    return tuple(o for o in parsed if o is not None)


def _work_package(item, i, errors, numbers):
    """Work package ``i`` (None when it is not an object); ``numbers`` maps the numbers seen to their index."""
    path = f"work_packages[{i}]"
    if not isinstance(item, dict):
        errors.add(path, _("Give each work package as an object with number and amount."))
        return None
    _unknown_keys(item, WP_KEYS, path, errors)
    number = item.get("number")
    if number is None:
        errors.add(f"{path}.number", _("Give the work package number."))
    number = _int(number, f"{path}.number", errors, 1, 99)
    if number is not None:
        if number in numbers:
            errors.add(f"{path}.number", _("This number is already used by work_packages[%(i)d].") % {
                "i": numbers[number]})
        numbers.setdefault(number, i)
    management = item.get("management", False)
    if not isinstance(management, bool):
        errors.add(f"{path}.management", _("Give management as true or false."))
    amount = _amount(item.get("amount"), f"{path}.amount", errors)
    return WorkPackage(number=number, management=management is True, amount=amount)


def _work_packages(value, errors):
    items = _list(value, "work_packages", errors)
    if items is None:
        return None
    numbers = {}
    parsed = [_work_package(item, i, errors, numbers) for i, item in enumerate(items)]
    return tuple(wp for wp in parsed if wp is not None)


def _activities(value, errors):
    items = _list(value, "activities", errors)
    if items is None:
        return None
    acts = []
    for i, item in enumerate(items):
        path = f"activities[{i}]"
        if not isinstance(item, dict):
            errors.add(path, _("Give each activity as an object with its amount."))
            continue
        _unknown_keys(item, ACTIVITY_KEYS, path, errors)
        acts.append(Activity(amount=_amount(item.get("amount"), f"{path}.amount", errors)))
    return tuple(acts)


def parse_request(payload, *, known_actions=None, known_countries=None):
    """Validate the API payload. ``known_actions`` (e.g. {"KA210-VET", …}) and ``known_countries``
    (ISO codes) are checked when given. Returns ``(Application | None, {field path: message})``."""
    errors = _Errors()
    if not isinstance(payload, dict):
        errors.add("body", _("Send a JSON object."))
        return None, dict(errors)
    _unknown_keys(payload, TOP_LEVEL, "", errors)
    application = {
        "action": _action(payload.get("action"), known_actions, errors),
        "call_year": _int(payload.get("call_year"), "call_year", errors, 2014, 2100),
        "round": _int(payload.get("round"), "round", errors, 1, 9),
        "lump_sum": _amount(payload.get("lump_sum"), "lump_sum", errors),
        "start_date": _date(payload.get("start_date"), "start_date", errors),
        "duration_months": _int(payload.get("duration_months"), "duration_months", errors, 1, 120),
        "submitted_at": _instant(payload.get("submitted_at"), "submitted_at", errors),
        "organisations": _organisations(payload.get("organisations"), errors, known_countries),
        "work_packages": _work_packages(payload.get("work_packages"), errors),
        "activities": _activities(payload.get("activities"), errors),
        "priorities": _strings(payload.get("priorities"), "priorities", errors),
        "topics": _strings(payload.get("topics"), "topics", errors),
    }
    if errors:
        return None, dict(errors)
    return Application(**application), {}
