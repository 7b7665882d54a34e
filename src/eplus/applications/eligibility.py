"""The adapter to the pure eligibility engine (``eplus.programme.rules``): the engine's input built
from the application's rows, the call's rules and countries (memoised per data version, see
``refdata``), and the other submitted applications that share an organisation with this one."""

from eplus.core import time as clock
from eplus.programme import rules as engine
from eplus.programme.eligibility import country_infos as load_country_infos
from eplus.programme.services import eligibility_rules

from . import forms as section_forms
from . import refdata
from .models import ParticipantRole, Status, SubmissionParty
from .queries import participants
from .rules import late_window
from .values import parse_date, parse_int, parse_money

ENGINE_SECTION = {"project": "context", "budget": "context", "partners": "organisations",
                  "relevance": "relevance", "activities": "design", "work-packages": "design",
                  "submission": "checklist"}



def call_rules(application):
    cache = application.__dict__
    if "_eplus_rules" not in cache:
        call, sector = application.call, application.sector or None
        cache["_eplus_rules"] = refdata.memoised(
            ("rules", call.pk, sector, application.agency_id),
            lambda: engine.CallRules.from_dict(eligibility_rules(call, sector, application.agency)),
            refdata.token_for(application))
    return cache["_eplus_rules"]


def country_infos(application=None):
    """The engine's countries, memoised per process and programme data version."""
    token = refdata.token_for(application) if application is not None else refdata.current_token()
    return refdata.memoised(("countries",), lambda: tuple(load_country_infos()), token)



ENGINE_INPUT_SECTIONS = ("context", "relevance", "design")



def eligibility_input(application, submitted_at=None, section_data=None, parts=None):
    """The engine's ``rules.Application`` built from the application's rows and section data (the one place)."""
    data = section_data if section_data is not None else {
        key: (data, version) for key, data, version in application.sections.filter(
            key__in=ENGINE_INPUT_SECTIONS).values_list("key", "data", "version")}
    context = (data.get("context") or ({}, 0))[0]
    relevance, relevance_version = data.get("relevance") or ({}, 0)
    design, design_version = data.get("design") or ({}, 0)
    organisations = tuple(
        engine.Organisation(ref=p.organisation.legal_name, country=p.organisation.country_id, role=p.role,
                            type=p.organisation.organisation_type, established_on=p.organisation.date_established,
                            oid=p.organisation.oid, status=p.organisation.status)
        for p in (participants(application) if parts is None else parts))
    items = (design or {}).get("items") or []
    work_packages = activities = None
    kind = section_forms.design_kind(application.call)
    if design_version or items:
        if kind == "work-packages":
            work_packages = tuple(engine.WorkPackage(number=i + 1, management=(i == 0),
                                                     amount=parse_money(item.get("amount")))
                                  for i, item in enumerate(items))
        else:
            activities = tuple(engine.Activity(amount=parse_money(item.get("amount"))) for item in items)
    priorities = topics = None
    if relevance_version or relevance:
        priorities = tuple(relevance.get("priorities") or ())
        if application.call.max_topics:
            topics = tuple(relevance.get("topics") or ())
    duration = parse_int(context.get("duration_months"))
    late = None
    if submitted_at is not None and not clock.is_before_deadline(submitted_at, application.call.deadline):
        late = late_window(application, submitted_at)
    return engine.Application(
        action=application.action_type, call_year=application.call.year, round=application.call.round,
        lump_sum=parse_money(context.get("lump_sum")), start_date=parse_date(context.get("start_date")),
        duration_months=duration, submitted_at=submitted_at, organisations=organisations,
        late_until=late.late_until if late else None, late_reference=str(late.pk) if late else None,
        work_packages=work_packages, activities=activities, priorities=priorities, topics=topics,
        id=str(application.pk),
    )


def other_applications(application, oids=None):
    """The other applications submitted to the same action and deadline (all agencies) that share an
    organisation (OID) with this one, as the engine's OtherApplication list.

    Built from the small :class:`SubmissionParty` rows recorded at submission (never the snapshots). Only
    applications sharing an OID can change a rule across applications (applicant once per round,
    involvement caps, same consortium once per deadline), so the verdict is the same as over all of them.
    """
    call = application.call
    if oids is None:
        oids = [p.organisation.oid for p in participants(application)]
    oids = sorted({oid for oid in oids if oid})
    if not oids:
        return []
    sharing = (SubmissionParty.objects.filter(oid__in=oids, action_id=application.action_id, deadline=call.deadline)
               .exclude(application_id=application.pk).values("submission_id"))
    rows = (SubmissionParty.objects.filter(submission_id__in=sharing, submission__is_current=True,
                                           application__status=Status.SUBMITTED)
            .order_by("application_id", "pk")
            .values_list("application_id", "action_code", "sector", "agency_code", "oid", "role"))
    grouped = {}
    for app_id, action_code, sector, agency_code, oid, role in rows:
        entry = grouped.setdefault(app_id, {"action": action_code, "sector": sector, "agency": agency_code,
                                            "orgs": []})
        entry["orgs"].append((oid, role))
    result = []
    for app_id, entry in grouped.items():
        orgs = entry["orgs"]
        result.append(engine.OtherApplication(
            id=str(app_id), action=entry["action"] or application.action.code,
            sector=entry["sector"] or None, deadline=call.deadline, agency_code=entry["agency"] or None,
            status=engine.model.SUBMITTED,
            applicant_oid=next((oid for oid, role in orgs if role == ParticipantRole.APPLICANT), None),
            partner_oids=tuple(oid for oid, role in orgs if role == ParticipantRole.PARTNER),
            associated_partner_oids=tuple(oid for oid, role in orgs if role == ParticipantRole.ASSOCIATED_PARTNER),
        ))
    return result


def evaluate(application, submitted_at=None, others=None, parts=None, section_data=None):
    """Run the eligibility engine over the application (with the other submitted applications that share
    an organisation with it). ``parts`` and ``section_data`` may be passed when already read."""
    if parts is None:
        parts = participants(application)
    if others is None:
        others = other_applications(application, [p.organisation.oid for p in parts])
    return engine.evaluate(eligibility_input(application, submitted_at, section_data=section_data, parts=parts),
                           call_rules(application), country_infos(application), others)


def engine_messages(verdict, key):
    """The engine's checks that belong to form section ``key``."""
    return [c for c in verdict.checks if ENGINE_SECTION.get(c.section, c.section) == key]

