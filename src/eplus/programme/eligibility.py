"""The eligibility pre-check: the engine in ``programme.rules`` fed with the call's reference data.

Used by the public ``POST /api/v1/eligibility/check`` (no log-in) and, with the application's own data,
by the application form. Everything the rules need comes from the database as plain data
(``services.eligibility_rules``); the engine itself stays pure.
"""

from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Action, Call, Country
from .rules import CallRules, CountryInfo, evaluate, parse_request
from .services import NoAgency, UnknownActionType, agency_for, eligibility_rules, resolve_action_type


@dataclass(frozen=True)
class PrecheckResult:
    status: int  # 200, or 422 with ``errors``
    body: dict


def known_action_types():
    """Action types that have at least one call: ``KA220-VET`` …, plus the bare code of one-sector and
    centralised actions (``KA240``, ``PI-FORWARD``)."""
    types = set()
    for action in Action.objects.filter(calls__isnull=False).distinct():
        types.update(f"{action.code}-{sector}" for sector in action.sectors)
        if len(action.sectors) <= 1:
            types.add(action.code)
    return types


def country_infos():
    return [CountryInfo(c.code, c.status, c.region, c.name) for c in Country.objects.all()]


def choose_call(action, year=None, round_=None, now=None):
    """The call the check runs against: the one named by year/round, else the action's current call —
    the next one still open, or failing that the most recent one."""
    calls = Call.objects.filter(action=action).select_related("action", "action__managing_agency")
    if year is not None:
        return calls.filter(year=year, round=round_ or 1).first()
    if round_ is not None:
        calls = calls.filter(round=round_)
    now = now or timezone.now()
    return calls.filter(deadline__gt=now).order_by("deadline").first() or calls.order_by("-deadline").first()


def _invalid(errors):
    return PrecheckResult(422, {"errors": errors})


def precheck(payload, now=None):
    """Check a public pre-check request; never raises for bad input (422 naming each bad field)."""
    application, errors = parse_request(
        payload, known_actions=known_action_types(), known_countries={c.code for c in Country.objects.all()}
    )
    if errors:
        return _invalid(errors)
    try:
        action, sector = resolve_action_type(application.action)
    except UnknownActionType as exc:
        return _invalid({"action": str(exc)})
    call = choose_call(action, application.call_year, application.round, now)
    if call is None:
        field = "call_year" if application.call_year is not None else "action"
        return _invalid({field: _("There is no call for %(action)s in that year and round.")
                         % {"action": application.action}})
    applicant = next((o for o in application.organisations or () if o.role == "applicant"), None)
    agency = None
    if applicant is not None and applicant.country:
        try:
            agency = agency_for(applicant.country, action, sector)
        except NoAgency:
            agency = None  # the composition rules report the applicant's country themselves
    rules = CallRules.from_dict(eligibility_rules(call, sector, agency))
    # The defaults the request left out are those of the call actually used.
    application = replace(application, call_year=call.year, round=call.round)
    verdict = evaluate(application, rules, country_infos())
    body = verdict.as_dict()
    body["call"] = {"year": call.year, "round": call.round, "action": application.action,
                    "deadline": call.deadline.isoformat(), "agency": rules.agency_code}
    return PrecheckResult(200, body)
