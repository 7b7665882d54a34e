"""The structural checks of a call's rules (the JSON fields an administrator edits in the admin or the
data file): called by :meth:`eplus.programme.models.Call.clean`."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import FundingModel


def money_text(value, what):
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(_("%(what)s must be an amount in euros, such as 30000.00.") % {"what": what}) from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("%(what)s must be a positive amount in euros with at most two decimals.") % {"what": what})
    return amount


def _require_keys(data, keys, field, label):
    if not isinstance(data, dict):
        raise ValidationError({field: _("%(label)s must be a JSON object.") % {"label": label}})
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValidationError({field: _("%(label)s is missing: %(keys)s.") % {"label": label, "keys": ", ".join(missing)}})


def validate_call(call):
    """Every structural check of a call's rules, as one ValidationError keyed by field."""
    errors = {}
    for field, check in _CHECKS:
        try:
            check(call)
        except ValidationError as exc:
            messages = exc.message_dict.get(field) if hasattr(exc, "error_dict") else exc.messages
            errors.setdefault(field, []).extend(messages)
    for name in ("other_rules", "sources"):
        if not isinstance(getattr(call, name), dict):
            errors.setdefault(name, []).append(_("This must be a JSON object."))
    if errors:
        raise ValidationError(errors)


def _check_funding(call):
    if not isinstance(call.lump_sum_options, list):
        raise ValidationError(_("Lump sum options must be a list of amounts."))
    for value in call.lump_sum_options:
        money_text(value, _("Each lump sum option"))
    if call.funding_model == FundingModel.LUMP_SUM_OPTIONS and not call.lump_sum_options:
        raise ValidationError(_("A call funded by fixed lump sums needs at least one lump sum option."))
    if call.funding_model != FundingModel.LUMP_SUM_OPTIONS and call.lump_sum_options:
        raise ValidationError(_("Only calls funded by fixed lump sums have lump sum options; use the maximum grant or lots instead."))
    if (call.funding_model != FundingModel.LUMP_SUM_OPTIONS and call.grant_maximum is None
            and not call.lots):
        raise ValidationError(_("A call funded up to a maximum needs a maximum grant or lots with maxima."))


def _check_dates_and_durations(call):
    if call.start_earliest and call.start_latest and call.start_earliest > call.start_latest:
        raise ValidationError(_("The earliest project start must not be after the latest project start."))
    if (call.duration_min_months is not None and call.duration_max_months is not None
            and call.duration_min_months > call.duration_max_months):
        raise ValidationError(_("The minimum duration must not be longer than the maximum duration."))


def _check_composition(call):
    if not call.composition:
        return
    _require_keys(call.composition, ["min_organisations", "min_countries"], "composition", _("Composition rules"))
    third = call.composition.get("third_countries", {})
    if not isinstance(third, dict):
        raise ValidationError(_("Composition rules: third_countries must be a JSON object."))
    regions = third.get("regions", [])
    if not isinstance(regions, list) or any(not isinstance(r, int) or not 1 <= r <= 14 for r in regions):
        raise ValidationError(_("Composition rules: third-country regions must be numbers from 1 to 14."))
    _check_certified_oid(call.composition.get("certified_oid"))


CERTIFIED_OID_ROLES = ("applicant", "partner", "associated-partner")


def _check_certified_oid(rule):
    """``composition.certified_oid``: ``{"roles": [roles], "sectors": [sector codes]}`` (both lists)."""
    if rule is None:
        return
    if not isinstance(rule, dict) or not isinstance(rule.get("roles", []), list) \
            or not isinstance(rule.get("sectors", []), list):
        raise ValidationError(_("Composition rules: certified_oid must be a JSON object with lists of roles and sectors."))
    unknown = [r for r in rule.get("roles", []) if r not in CERTIFIED_OID_ROLES]
    if unknown:
        raise ValidationError(_("Composition rules: certified_oid names unknown roles %(roles)s; use %(known)s.")
                              % {"roles": ", ".join(map(str, unknown)), "known": ", ".join(CERTIFIED_OID_ROLES)})
    if rule.get("countries") not in (None, "programme"):
        raise ValidationError(_("Composition rules: certified_oid countries must be \"programme\" or left out."))


def _check_limits(call):
    if not isinstance(call.organisation_limits, dict):
        raise ValidationError(_("Limits per organisation must be a JSON object."))
    for key, value in call.organisation_limits.items():
        if key.startswith("max_") and value is not None and (not isinstance(value, int) or value < 1):
            raise ValidationError(_("Limit %(key)s must be a whole number of at least 1.") % {"key": key})


def _check_structure(call):
    if not call.structure:
        return
    _require_keys(call.structure, ["kind"], "structure", _("Structure rules"))
    kind = call.structure["kind"]
    if kind == "activities":
        _require_keys(call.structure, ["min_activities"], "structure", _("Structure rules"))
    elif kind == "work-packages":
        _require_keys(call.structure, ["management_max_percent", "min_further", "max_further"],
                      "structure", _("Structure rules"))
        if call.structure["min_further"] > call.structure["max_further"]:
            raise ValidationError(_("Structure rules: min_further must not exceed max_further."))
    else:
        raise ValidationError(_("Structure rules: kind must be \"activities\" or \"work-packages\"."))


def _check_award(call):
    if not isinstance(call.award_criteria, list):
        raise ValidationError(_("Award criteria must be a list."))
    codes = set()
    for item in call.award_criteria:
        if not isinstance(item, dict) or not {"code", "name_en", "max_points"} <= set(item):
            raise ValidationError(_("Each award criterion needs code, name_en and max_points."))
        if item["code"] in codes:
            raise ValidationError(_("Award criterion %(code)s is listed twice.") % {"code": item["code"]})
        codes.add(item["code"])
    if call.award_criteria:
        total = sum(Decimal(str(i["max_points"])) for i in call.award_criteria)
        if total != 100:
            raise ValidationError(_("The award criteria maxima must add up to 100 points (now %(total)s).") % {"total": total})
        if call.award_total_threshold is None or call.award_criterion_threshold_share is None:
            raise ValidationError(_("Award criteria need a minimum total score and a minimum share per criterion."))


def _check_payments(call):
    if not isinstance(call.payment_schedule, list):
        raise ValidationError(_("The payment schedule must be a list of instalments."))
    if not call.payment_schedule:
        return
    for item in call.payment_schedule:
        if not isinstance(item, dict) or not {"code", "percent"} <= set(item):
            raise ValidationError(_("Each instalment needs a code and a percent."))
    total = sum(Decimal(str(i["percent"])) for i in call.payment_schedule)
    if total != 100:
        raise ValidationError(_("The instalments must add up to 100 %% (now %(total)s %%).") % {"total": total})


def _check_bands(call):
    if not isinstance(call.reduction_bands, list):
        raise ValidationError(_("Reduction bands must be a list."))
    for band in call.reduction_bands:
        if not isinstance(band, dict) or not {"min_score", "reduction_percent"} <= set(band):
            raise ValidationError(_("Each reduction band needs min_score and reduction_percent."))
    mins = [Decimal(str(b["min_score"])) for b in call.reduction_bands]
    if mins != sorted(mins, reverse=True):
        raise ValidationError(_("Reduction bands must be listed from the highest score down."))


def _check_lots(call):
    if not isinstance(call.lots, list):
        raise ValidationError(_("Lots must be a list."))
    for lot in call.lots:
        if not isinstance(lot, dict) or not {"code", "name_en"} <= set(lot):
            raise ValidationError(_("Each lot needs a code and name_en."))
        if lot.get("grant_maximum") is not None:
            money_text(lot["grant_maximum"], _("The maximum grant of a lot"))


# (the field an error is shown on, the check), in the order the errors are listed
_CHECKS = [
    ("lump_sum_options", _check_funding),
    ("duration_max_months", _check_dates_and_durations),
    ("composition", _check_composition),
    ("organisation_limits", _check_limits),
    ("structure", _check_structure),
    ("award_criteria", _check_award),
    ("payment_schedule", _check_payments),
    ("reduction_bands", _check_bands),
    ("lots", _check_lots),
]
