"""Programme services: the questions other apps ask about reference data.

Public functions
----------------
``resolve_action_type("KA220-VET") -> (Action, "VET")``
    An action type (action code, optionally ``-SECTOR``) to the action and its sector. Raises
    :class:`UnknownActionType` with a message saying what is wrong.
``agency_for(country_code, action, sector) -> Agency``
    Which agency handles an application: the executive agency for centralised actions, otherwise the
    national agency of the applicant's country for that field. Raises :class:`NoAgency`.
``open_calls(now)`` / ``upcoming_deadlines(now, limit)``
    Calls whose deadline is still ahead (the deadline instant itself is closed), soonest first.
``find_call(year, action_code, round=1)``
    One call or :class:`UnknownCall`.
``call_rules(call) -> dict``
    Everything an eligibility rule needs, as plain JSON-able data (no model instances), so the rules
    engine stays pure Python. Amounts and percentages are decimal strings (``"30000.00"``, ``"0.5"``),
    dates ``"YYYY-MM-DD"``, instants ISO 8601 with offset. Keys:

    - ``call``: ``{"year", "round", "action", "key_action", "sectors", "title", "managing_agency_kind",
      "managing_agency"}`` (``managing_agency`` is the agency code for centralised actions, else None).
    - ``deadline``: ISO instant in Brussels time (e.g. ``"2026-03-05T12:00:00+01:00"``);
      ``deadline_utc``: the same instant in UTC. Submissions at or after it are late.
    - ``start_window``: ``{"earliest", "latest"}`` project start dates (inclusive) or None.
    - ``funding``: ``{"model", "lump_sum_options", "grant_maximum", "lots", "total_budget"}``;
      ``model`` is ``lump-sum-options`` (choose one of the options), ``lump-sum-maximum`` or
      ``actual-costs-maximum`` (up to ``grant_maximum`` or the lot's ``grant_maximum``). Lots:
      ``[{"code", "name_en", "grant_maximum", "duration_months"?}]``.
    - ``duration_months``: ``{"min", "max"}``, both inclusive (None = no limit).
    - ``coordinator_min_age_years``: the coordinator must be legally established at least this many
      years before the deadline (None = no rule).
    - ``max_topics``: how many topics an application may pick (None = topics not asked).
    - ``composition``: ``{"min_organisations", "min_countries", "countries": "programme",
      "third_countries": {"allowed", "regions", "excluded_countries", "roles", "counted"},
      "associated_partners": {"allowed", "counted"}, "applicant_types"?, "clusters"?}``; full partners
      from programme countries count towards the minimum; associated partners never do.
      ``certified_oid``: ``{"roles": [...], "sectors": [...]}`` — organisations in these roles (of
      these sectors; empty = every sector) must hold an OID the agency has certified; see
      :func:`certified_oid_roles`.
    - ``organisation_limits``: ``{"max_as_applicant_per_round"?, "max_as_coordinator_per_round"?,
      "max_involvements_per_deadline"?, "involvement_scope"?, "excluded_sectors"?}``; involvements are
      counted over all sectors of the action, and the limit does not apply to ``excluded_sectors``.
    - ``structure``: ``{"kind": "activities", "min_activities", "amounts_add_up_to_lump_sum"}`` or
      ``{"kind": "work-packages", "management_max_percent", "management_has_activities", "min_further",
      "max_further", "warn_above_further", "amounts_add_up_to_lump_sum"}``; ``{}`` = no rule.
    - ``award``: ``{"criteria": [{"code", "name_en", "max_points", "threshold"}], "total_threshold",
      "criterion_threshold_share"}``; fundable when total >= total_threshold and every criterion >= its
      threshold (= max_points x share).
    - ``payments``: ``{"schedule": [{"code", "percent", "due", "condition"?}], "first_prefinancing_days"}``.
    - ``reports``: ``{"progress_report_days", "final_report_days", "final_report_decision_days",
      "reduction_bands": [{"min_score", "reduction_percent"}]}`` (bands from the highest score down:
      the first band whose ``min_score`` <= score applies).
    - ``other``: further rules (``min_priorities``, ``priority_kinds``, ``activity_venues``,
      ``technical_incident_report_hours``, ``one_application_per_consortium_per_deadline``...).
    - ``countries``: ``{code: {"name", "status", "region", "programme_country"}}`` for every country.
    - ``sources``: where each figure comes from.

``eligibility_rules(call, sector=None, agency=None) -> dict``
    The same rules flattened for one action type and agency, in exactly the keys of
    ``eplus.programme.rules.model.CallRules.from_dict`` (action, sector, year, round, deadline, agency_code,
    agency_country, start_from, start_to, lump_sum_options, lump_sum_max, duration_min_months,
    duration_max_months, min_organisations, min_countries, third_country_roles, third_country_regions,
    excluded_countries, associated_partners_allowed, applicant_types, school_development,
    applicant_max_per_round, involvement_cap, involvement_exempt_sectors, certified_oid_roles,
    certified_oid_types, certified_oid_programme_only, consortium_once_per_deadline,
    coordinator_min_years, structure, management_max_percent, wp_min, wp_max, wp_recommended_max,
    min_priorities, priorities, max_topics, sources).
"""

from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils.translation import gettext as _

from eplus.core.time import to_brussels

from .models import SECTOR_CODES, Action, Agency, Call, Country, Priority


class ProgrammeLookupError(LookupError):
    """A reference-data lookup that found nothing; its message tells the user what to fix."""


class UnknownActionType(ProgrammeLookupError, ValueError):
    pass


class NoAgency(ProgrammeLookupError):
    pass


class UnknownCall(ProgrammeLookupError):
    pass


# -- actions ---------------------------------------------------------------------------------
def resolve_action_type(action_type):
    """``"KA220-VET"`` → ``(Action KA220, "VET")``; ``"PI-FORWARD"`` → ``(Action, None)``.

    Without a sector suffix, an action with exactly one sector gets that sector (``"KA240"`` →
    ``"SCH"``), a centralised action gets None, and an action with several sectors is an error.
    """
    text = (action_type or "").strip().upper()
    if not text:
        raise UnknownActionType(_("Give an action type such as KA220-VET."))
    code, sector = text, None
    head, sep, tail = text.rpartition("-")
    if sep and tail in SECTOR_CODES:
        code, sector = head, tail
    action = Action.objects.filter(code=code).select_related("managing_agency").first()
    if action is None:
        raise UnknownActionType(
            _("Unknown action type %(type)s: there is no action %(code)s.") % {"type": text, "code": code})
    if sector is not None:
        if sector not in action.sectors:
            raise UnknownActionType(
                _("Unknown action type %(type)s: action %(code)s has no sector %(sector)s (it has: %(sectors)s).")
                % {"type": text, "code": code, "sector": sector, "sectors": ", ".join(action.sectors) or "—"})
        return action, sector
    if len(action.sectors) == 1:
        return action, action.sectors[0]
    if action.is_centralised or not action.sectors:
        return action, None
    raise UnknownActionType(
        _("Action type %(type)s needs a sector, e.g. %(example)s.")
        % {"type": text, "example": f"{code}-{action.sectors[0]}"})


def _action(action):
    if isinstance(action, Action):
        return action
    found = Action.objects.filter(code=str(action).strip().upper()).select_related("managing_agency").first()
    if found is None:
        raise UnknownActionType(_("There is no action %(code)s.") % {"code": action})
    return found


def agency_for(country_code, action, sector):
    """The agency that handles ``action`` (code or Action) in ``sector`` for an applicant from ``country_code``."""
    action = _action(action)
    if sector and sector not in action.sectors:
        raise NoAgency(_("Action %(code)s has no sector %(sector)s.") % {"code": action.code, "sector": sector})
    if action.is_centralised:
        if action.managing_agency is None:
            raise NoAgency(_("No managing agency is set for action %(code)s.") % {"code": action.code})
        return action.managing_agency
    code = (country_code or "").strip().upper()
    country = Country.objects.filter(code=code).first()
    if country is None or not country.is_programme_country:
        raise NoAgency(
            _("Applicants from %(country)s cannot apply for %(code)s: only organisations from EU member states and "
              "associated third countries can.") % {"country": country.display_name if country else code, "code": action.code})
    for agency in Agency.objects.filter(country=country, kind=Agency.Kind.NATIONAL).order_by("code"):
        if sector in (agency.fields or []):
            return agency
    raise NoAgency(_("No national agency of %(country)s handles the field %(sector)s.")
                   % {"country": country.display_name, "sector": sector})


# -- calls -----------------------------------------------------------------------------------
def open_calls(now):
    """Calls still open at ``now`` (deadline strictly after it), soonest deadline first."""
    return (Call.objects.filter(deadline__gt=now).select_related("action")
            .order_by("deadline", "action__code", "round"))


def upcoming_deadlines(now, limit=5):
    return list(open_calls(now)[:limit])


def find_call(year, action_code, round=1):  # noqa: A002 - "round" is the domain word
    call = (Call.objects.filter(year=year, action__code=str(action_code).upper(), round=round)
            .select_related("action", "action__managing_agency").first())
    if call is None:
        raise UnknownCall(_("There is no %(year)s call for %(code)s, round %(round)s.")
                          % {"year": year, "code": action_code, "round": round})
    return call


def certified_oid_roles(call, sector=None):
    """The roles (``applicant``, ``partner``, ``associated-partner``) for which ``call`` requires, in
    ``sector``, a certified OID; empty when the call has no such rule.

    Read from the call's ``composition.certified_oid``: ``{"roles": [...], "sectors": [...],
    "organisation_types"?: [...], "countries"?: "programme"}`` (no sectors = every sector of the call;
    no organisation types = every type; ``"countries": "programme"`` = only organisations established
    in EU member states and associated third countries).
    """
    rule = (call.composition or {}).get("certified_oid") or {}
    sectors = rule.get("sectors") or []
    if sectors and sector not in sectors:
        return ()
    return tuple(rule.get("roles") or ())


def requires_certified_oid(call, sector, role, organisation_type=None, country_code=None):
    """Whether an organisation of ``organisation_type`` from ``country_code`` needs a certified OID to
    take part in ``call`` (in ``sector``) as ``role`` (see :func:`certified_oid_roles`)."""
    if role not in certified_oid_roles(call, sector):
        return False
    rule = call.composition["certified_oid"]
    types = rule.get("organisation_types") or []
    if types and organisation_type not in types:
        return False
    if rule.get("countries") == "programme":
        country = Country.objects.filter(code=country_code or "").first()
        return country is not None and country.is_programme_country
    return True


def _number(value):
    """A Decimal (or number) as plain text without exponent or trailing zeros: 60, 0.5, 12.5."""
    if value is None:
        return None
    return format(Decimal(str(value)).normalize(), "f")


def _money(value):
    return None if value is None else str(Decimal(str(value)).quantize(Decimal("0.01")))


def countries_table():
    return {
        c.code: {"name": c.name, "status": c.status, "region": c.region, "programme_country": c.is_programme_country}
        for c in Country.objects.all()
    }


def call_rules(call):
    """The plain-data rules of ``call`` (see the module docstring for every key)."""
    action = call.action
    share = call.award_criterion_threshold_share
    criteria = []
    for item in call.award_criteria:
        max_points = Decimal(str(item["max_points"]))
        criteria.append({
            "code": item["code"], "name_en": item["name_en"], "max_points": str(item["max_points"]),
            "threshold": None if share is None else _number(max_points * share),
        })
    return {
        "call": {
            "year": call.year, "round": call.round, "action": action.code, "key_action": action.key_action,
            "sectors": list(action.sectors), "title": call.title_en,
            "managing_agency_kind": action.managing_agency_kind,
            "managing_agency": action.managing_agency.code if action.managing_agency_id else None,
        },
        "deadline": to_brussels(call.deadline).isoformat(),
        "deadline_utc": call.deadline.astimezone(dt_timezone.utc).isoformat(),
        "start_window": {
            "earliest": call.start_earliest.isoformat() if call.start_earliest else None,
            "latest": call.start_latest.isoformat() if call.start_latest else None,
        },
        "funding": {
            "model": call.funding_model,
            "lump_sum_options": [_money(v) for v in call.lump_sum_options],
            "grant_maximum": _money(call.grant_maximum),
            "lots": [dict(lot, grant_maximum=_money(lot.get("grant_maximum"))) for lot in call.lots],
            "total_budget": _money(call.total_budget),
        },
        "duration_months": {"min": call.duration_min_months, "max": call.duration_max_months},
        "coordinator_min_age_years": call.coordinator_min_age_years,
        "max_topics": call.max_topics,
        "composition": dict(call.composition),
        "organisation_limits": dict(call.organisation_limits),
        "structure": dict(call.structure),
        "award": {
            "criteria": criteria,
            "total_threshold": _number(call.award_total_threshold),
            "criterion_threshold_share": _number(share),
        },
        "payments": {"schedule": list(call.payment_schedule), "first_prefinancing_days": call.first_prefinancing_days},
        "reports": {
            "progress_report_days": call.progress_report_days,
            "final_report_days": call.final_report_days,
            "final_report_decision_days": call.final_report_decision_days,
            "reduction_bands": list(call.reduction_bands),
        },
        "other": dict(call.other_rules),
        "countries": countries_table(),
        "sources": dict(call.sources),
    }


def eligibility_rules(call, sector=None, agency=None):
    """``call``'s rules for one sector (and receiving agency) as the eligibility engine's flat dict."""
    action = call.action
    if sector is None and len(action.sectors) == 1:
        sector = action.sectors[0]
    if sector is not None and sector not in action.sectors:
        raise UnknownActionType(_("Action %(code)s has no sector %(sector)s.") % {"code": action.code, "sector": sector})
    if action.is_centralised:
        agency = action.managing_agency
    other = call.other_rules or {}
    return {
        "action": action.code,
        "sector": sector,
        "year": call.year,
        "round": call.round,
        "deadline": to_brussels(call.deadline).isoformat(),
        "incident_report_hours": other.get("technical_incident_report_hours"),
        "agency_code": agency.code if agency else None,
        "agency_country": agency.country_id if agency and not action.is_centralised else None,
        "start_from": call.start_earliest.isoformat() if call.start_earliest else None,
        "start_to": call.start_latest.isoformat() if call.start_latest else None,
        "lump_sum_options": [_money(v) for v in call.lump_sum_options],
        "lump_sum_max": _lump_sum_max(call),
        "duration_min_months": call.duration_min_months,
        "duration_max_months": call.duration_max_months,
        **_composition_rules(call.composition or {}),
        **_certified_oid_rules(call, sector),
        **_limit_and_structure_rules(call, other),
        "min_priorities": other.get("min_priorities", 0),
        "priorities": _priority_codes(sector, other.get("priority_kinds", ["horizontal", "sector"])),
        "max_topics": call.max_topics,
        "sources": dict(call.sources),
    }


def _lump_sum_max(call):
    if call.grant_maximum is not None:
        return _money(call.grant_maximum)
    if call.funding_model != "lump-sum-options" and call.lots:
        # Lots each have their own maximum; without knowing the lot, the largest one bounds the request.
        return max((_money(lot["grant_maximum"]) for lot in call.lots if lot.get("grant_maximum")),
                   key=Decimal, default=None)
    return None


def _priority_codes(sector, kinds):
    return [p.code for p in Priority.objects.filter(active=True).order_by("sector", "position", "code")
            if (not p.sector and "horizontal" in kinds) or (sector and p.sector == sector and "sector" in kinds)]


def _composition_rules(composition):
    third = composition.get("third_countries") or {}
    allowed_third = bool(third.get("allowed"))
    clusters = composition.get("clusters")
    return {
        "min_organisations": composition.get("min_organisations", 0),
        "min_countries": composition.get("min_countries", 0),
        "third_country_roles": list(third.get("roles", [])) if allowed_third else [],
        "third_country_regions": (list(third.get("regions", [])) or None) if allowed_third else [],
        "excluded_countries": list(third.get("excluded_countries", [])),
        "associated_partners_allowed": (composition.get("associated_partners") or {}).get("allowed", True),
        "applicant_types": list(composition.get("applicant_types", [])),
        "school_development": None if not clusters else {
            "authority_types": list(clusters.get("lead_types", [])),
            "school_types": ["school"],
            "min_authority_countries": clusters.get("min_clusters", 2),
            "min_schools_per_authority": clusters.get("min_schools_per_cluster", 2),
        },
    }


def _certified_oid_rules(call, sector):
    rule = (call.composition or {}).get("certified_oid") or {}
    return {
        "certified_oid_roles": list(certified_oid_roles(call, sector)),
        "certified_oid_types": list(rule.get("organisation_types") or []),
        "certified_oid_programme_only": rule.get("countries") == "programme",
    }


def _limit_and_structure_rules(call, other):
    limits = call.organisation_limits or {}
    structure = call.structure or {}
    return {
        "applicant_max_per_round": limits.get("max_as_applicant_per_round", limits.get("max_as_coordinator_per_round")),
        "involvement_cap": limits.get("max_involvements_per_deadline"),
        "involvement_exempt_sectors": list(limits.get("excluded_sectors", [])),
        "consortium_once_per_deadline": other.get("one_application_per_consortium_per_deadline", True),
        "coordinator_min_years": call.coordinator_min_age_years,
        "structure": structure.get("kind"),
        "management_max_percent": structure.get("management_max_percent"),
        "wp_min": structure.get("min_further"),
        "wp_max": structure.get("max_further"),
        "wp_recommended_max": structure.get("warn_above_further"),
    }
