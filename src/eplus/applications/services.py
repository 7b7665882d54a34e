"""The verbs of applications: create, add partners, share, save a section (optimistic versioning),
evaluate (the eligibility engine), submit, withdraw, upload annexes, report an incident.

Views and the JSON API only parse input, check permission and call these. Every clock reading goes
through ``eplus.core.time.now()`` so tests can move it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, diff, record
from eplus.core.files import check_document
from eplus.core.mail import language_of, send_templated_mail
from eplus.core.money import eur
from eplus.organisations.models import MANAGER_ROLES, Membership, Organisation
from eplus.programme import rules as engine
from eplus.programme.eligibility import country_infos as load_country_infos
from eplus.programme.services import NoAgency, agency_for, eligibility_rules

from . import refdata

from . import forms as section_forms
from . import workflow
from .models import (
    LEVEL_RANK, AccessLevel, Annex, AnnexKind, Application, ApplicationAccess, IncidentReport, IncidentScreenshot,
    NumberSeries, Participation, ParticipantRole, Section, SectionStatus, SectionVersion, Status, Submission,
    SubmissionParty, Withdrawal,
)

INCIDENT_HOURS_DEFAULT = 2

# Engine sections (programme.rules) → form sections of the task list.
ENGINE_SECTION = {"project": "context", "budget": "context", "partners": "organisations",
                  "relevance": "relevance", "activities": "design", "work-packages": "design",
                  "submission": "checklist"}


class ApplicationError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


class DeadlineClosed(ApplicationError):
    pass


class NotEligible(ApplicationError):
    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = problems


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


# --- access ------------------------------------------------------------------------------------------

def access_level(user, application):
    """'view', 'edit', 'submit' or None: the applicant organisation's managers submit, its members edit;
    anyone else only through an explicit share. Cached on the instance."""
    if not getattr(user, "is_authenticated", False) or application is None:
        return None
    cache = application.__dict__.setdefault("_eplus_levels", {})
    if user.pk not in cache:
        levels = []
        role = Membership.objects.filter(organisation_id=application.applicant_id, user=user) \
            .values_list("role", flat=True).first()
        if role in MANAGER_ROLES:
            levels.append(AccessLevel.SUBMIT)
        elif role:
            levels.append(AccessLevel.EDIT)
        shared = ApplicationAccess.objects.filter(application=application, user=user) \
            .values_list("level", flat=True).first()
        if shared:
            levels.append(AccessLevel(shared))
        cache[user.pk] = max(levels, key=LEVEL_RANK.get) if levels else None
    return cache[user.pk]


def has_level(user, application, level):
    current = access_level(user, application)
    return current is not None and LEVEL_RANK[current] >= LEVEL_RANK[level]


def is_open(application, now=None):
    """True while the call accepts submissions and changes (the deadline instant itself is closed)."""
    return clock.is_before_deadline(now or clock.now(), application.call.deadline)


def can_edit(user, application, now=None):
    return has_level(user, application, AccessLevel.EDIT) and is_open(application, now)


def _require(user, application, level):
    if not has_level(user, application, level):
        raise PermissionDenied(_("You do not have access to this application."))


def _require_open(application, now=None):
    if not is_open(application, now):
        raise DeadlineClosed(_(
            "The deadline of this call was %(deadline)s (Brussels time); the application can no longer be "
            "changed or submitted.") % {"deadline": clock.format_brussels(application.call.deadline)})


# --- creating and partners -----------------------------------------------------------------------------

def create_application(user, organisation, call, sector=None):
    """A new draft for ``call`` by a member of ``organisation``, routed to its agency."""
    if not Membership.objects.filter(organisation=organisation, user=user).exists():
        raise PermissionDenied(_("Only people who act for the applicant organisation can create its applications."))
    now = clock.now()
    if not clock.is_before_deadline(now, call.deadline):
        raise ValidationError({"call": [_("This call is closed; choose an open call.")]})
    action = call.action
    if not sector and len(action.sectors) == 1:
        sector = action.sectors[0]
    if action.sectors and sector not in action.sectors:
        raise ValidationError({"call": [_("Choose a field of this action: %(sectors)s.")
                                        % {"sectors": ", ".join(action.sectors)}]})
    try:
        agency = agency_for(organisation.country_id, action, sector)
    except NoAgency as exc:
        raise ValidationError({"organisation": [str(exc)]}) from exc
    with acting_as(user), transaction.atomic():
        application = Application(call=call, action=action, sector=sector or "", agency=agency,
                                  applicant=organisation, created_by=user)
        application.save(audit_verb="create")
        Participation(application=application, organisation=organisation, role=ParticipantRole.APPLICANT,
                      order=0).save(audit_verb="add-participant")
        Section.objects.bulk_create([Section(application=application, key=key)
                                     for key in section_forms.SECTION_KEYS])
    refresh_statuses(application)
    return application


def _bump(application, key, user, note):
    """Record a change made by an action (not a form) in the section's version and history."""
    section = Section.objects.select_for_update().get(application=application, key=key)
    section.version += 1
    section.updated_by, section.updated_at = user, clock.now()
    section.save(update_fields=["version", "updated_by", "updated_at"])
    SectionVersion.objects.create(section=section, version=section.version, data=section.data,
                                  saved_by=user, saved_at=section.updated_at, note=note[:100])


def add_participant(application, oid, role, user):
    """Add an organisation by its OID; its data comes from its registration, never retyped."""
    _require(user, application, AccessLevel.EDIT)
    _require_open(application)
    if role not in (ParticipantRole.PARTNER, ParticipantRole.ASSOCIATED_PARTNER):
        raise ValidationError({"role": [_("Choose partner or associated partner.")]})
    oid = (oid or "").strip().upper()
    organisation = Organisation.objects.filter(oid=oid).select_related("country").first()
    if organisation is None:
        raise ValidationError({"oid": [_("No organisation has the OID %(oid)s. Check the OID with the partner; "
                                         "it must have registered first.") % {"oid": oid}]})
    with acting_as(user), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if application.participations.filter(organisation=organisation).exists():
            raise ValidationError({"oid": [_("%(name)s already takes part in this application.")
                                           % {"name": organisation.legal_name}]})
        order = (application.participations.aggregate(m=Max("order"))["m"] or 0) + 1
        participation = Participation(application=application, organisation=organisation, role=role, order=order)
        participation.save(audit_verb="add-participant")
        _bump(application, "organisations", user, f"add {oid}")
    refresh_statuses(application)
    return participation


def remove_participant(application, participation, user):
    _require(user, application, AccessLevel.EDIT)
    _require_open(application)
    if participation.role == ParticipantRole.APPLICANT:
        raise ApplicationError(_("The applicant organisation cannot be removed."))
    with acting_as(user), transaction.atomic():
        oid = participation.organisation.oid
        participation.delete()
        _bump(application, "organisations", user, f"remove {oid}")
    refresh_statuses(application)


def participants(application):
    return list(application.participations.select_related("organisation", "organisation__country"))


def partner_organisations(application):
    """Full participants (applicant and partners): they share the budget of the work packages."""
    return [p.organisation for p in participants(application)
            if p.role in (ParticipantRole.APPLICANT, ParticipantRole.PARTNER)]


# --- sharing -------------------------------------------------------------------------------------------

def share(application, user, level, by):
    """Let a named person of a participating organisation view or edit the draft."""
    _require(by, application, AccessLevel.SUBMIT)
    if level not in (AccessLevel.VIEW, AccessLevel.EDIT):
        raise ValidationError({"level": [_("Choose view or edit.")]})
    organisations = application.participations.values_list("organisation_id", flat=True)
    if not Membership.objects.filter(user=user, organisation_id__in=organisations).exists():
        raise ValidationError({"email": [_(
            "%(email)s does not act for any organisation of this application. Add their organisation as a "
            "partner first, or ask them to join it.") % {"email": user.email}]})
    with acting_as(by):
        access = ApplicationAccess.objects.filter(application=application, user=user).first()
        if access is None:
            access = ApplicationAccess(application=application, user=user)
        access.level, access.granted_by = level, by
        access.save(audit_verb="share")
    application.__dict__.pop("_eplus_levels", None)
    return access


def unshare(application, access, by):
    _require(by, application, AccessLevel.SUBMIT)
    with acting_as(by):
        access.delete()
    application.__dict__.pop("_eplus_levels", None)


# --- sections ------------------------------------------------------------------------------------------

def _parse_date(value):
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parse_int(value):
    try:
        return int(str(value).strip()) if str(value or "").strip() else None
    except ValueError:
        return None


def _parse_money(value):
    try:
        return eur(str(value)) if str(value or "").strip() else None
    except (ValueError, TypeError):
        return None


def _sync_context(application, data, user):
    """Mirror the context section onto the application's own columns (lists, numbers, the agency)."""
    application.language = str(data.get("language") or "")[:8]
    application.title = str(data.get("title") or "")[:255]
    application.start_date = _parse_date(data.get("start_date"))
    duration = _parse_int(data.get("duration_months"))
    application.duration_months = duration if duration is not None and 0 < duration < 32767 else None
    lump_sum = _parse_money(data.get("lump_sum"))
    application.lump_sum = lump_sum if lump_sum is not None and abs(lump_sum) < Decimal("1e11") else None
    with acting_as(user):
        application.save(audit_verb="save-context")


def save_section(application, key, data, base_version, user):
    """Save one section if nobody saved it since ``base_version``; else return a Conflict with both.

    The write is ``UPDATE … WHERE version = base_version`` inside a transaction, so of two saves from the
    same base exactly one wins; the other gets a Conflict carrying their and your data (nothing lost).
    """
    if key not in section_forms.FORM_SECTIONS:
        raise ValidationError(_("This section is not saved as a form."))
    _require(user, application, AccessLevel.EDIT)
    _require_open(application)
    if not isinstance(data, dict):
        raise ValidationError(_("Section data must be a JSON object."))
    try:
        base_version = int(base_version)
    except (TypeError, ValueError):
        raise ValidationError(_("The version of the section is missing; reload the page.")) from None
    now = clock.now()
    current = Section.objects.filter(application=application, key=key).values("data", "version").first()
    if current is None:
        raise ValidationError(_("This section does not exist."))
    if current["data"] == data and current["version"] >= base_version:
        # Nothing changed (or the other save holds exactly your data): no new version, no conflict.
        return Saved(section=Section.objects.get(application=application, key=key), verdict=evaluate(application))
    with transaction.atomic():
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
            return Conflict(section=section, theirs=section.data, theirs_version=section.version, yours=data,
                            base_version=base_version)
        SectionVersion.objects.create(section=section, version=section.version, data=data, saved_by=user,
                                      saved_at=now)
        changes = diff({"data": (before or {}).get("data")}, {"data": data})
        record(section, "update", changes=changes, verb="save-section", actor=user,
               agency_code=application.agency.code)
        if key == "context":
            _sync_context(application, data, user)
    # The engine runs on every save (its messages come back with it), but only the saved section's
    # status is recomputed here: the others are refreshed when the task list is shown (views.detail).
    verdict = evaluate(application)
    status, _problems = section_state(application, section, verdict)
    if status != section.status:
        Section.objects.filter(pk=section.pk).update(status=status)
        section.status = status
    return Saved(section=section, verdict=verdict)


def sections(application):
    """{key: Section} in task-list order."""
    found = {s.key: s for s in application.sections.all()}
    return {key: found[key] for key in section_forms.SECTION_KEYS if key in found}


def section_form(application, key, data=None, bound=True):
    """The form of a simple section bound to ``data`` (or unbound)."""
    cls = section_forms.SIMPLE_FORMS[key]
    kwargs = {"application": application} if key in ("context", "relevance") else {}
    if key == "relevance":
        kwargs["priority_codes"] = call_rules(application).priorities or None
    if not bound:
        return cls(initial=data or {}, **kwargs)
    return section_forms.bind(cls, data, **kwargs)


def post_to_data(application, key, post):
    """A section's data from a submitted form, exactly as typed."""
    if key == "design":
        return section_forms.items_from_post(application, post, partner_organisations(application))
    cls = section_forms.SIMPLE_FORMS[key]
    kwargs = {"application": application} if key in ("context", "relevance") else {}
    if key == "relevance":
        kwargs["priority_codes"] = call_rules(application).priorities or None
    return section_forms.data_from_post(cls, post, **kwargs)


def form_problems(application, key, data, partners=None):
    """(missing, errors) of a section's data against its form: missing required fields, real errors."""
    if key == "design":
        partners = partner_organisations(application) if partners is None else partners
        missing, errors = [], []
        forms_ = section_forms.item_forms(application, data, partners, extra=0)
        if not forms_:
            missing.append("items")
        for index, form in enumerate(forms_):
            m, e = section_forms.split_errors(form)
            missing += [f"{index}-{name}" for name in m]
            errors += [(f"{index}-{name}" if name else str(index), msg) for name, msg in e]
        return missing, errors
    if key in section_forms.SIMPLE_FORMS:
        return section_forms.split_errors(section_form(application, key, data))
    return [], []


# --- the eligibility engine ----------------------------------------------------------------------------

_data_token = refdata.token_for


def call_rules(application):
    cache = application.__dict__
    if "_eplus_rules" not in cache:
        call, sector = application.call, application.sector or None
        cache["_eplus_rules"] = refdata.memoised(
            ("rules", call.pk, sector, application.agency_id),
            lambda: engine.CallRules.from_dict(eligibility_rules(call, sector, application.agency)),
            _data_token(application))
    return cache["_eplus_rules"]


def country_infos(application=None):
    """The engine's countries, memoised per process and programme data version."""
    token = _data_token(application) if application is not None else refdata.current_token()
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
                            oid=p.organisation.oid)
        for p in (participants(application) if parts is None else parts))
    items = (design or {}).get("items") or []
    work_packages = activities = None
    kind = section_forms.design_kind(application.call)
    if design_version or items:
        if kind == "work-packages":
            work_packages = tuple(engine.WorkPackage(number=i + 1, management=(i == 0),
                                                     amount=_parse_money(item.get("amount")))
                                  for i, item in enumerate(items))
        else:
            activities = tuple(engine.Activity(amount=_parse_money(item.get("amount"))) for item in items)
    priorities = topics = None
    if relevance_version or relevance:
        priorities = tuple(relevance.get("priorities") or ())
        if application.call.max_topics:
            topics = tuple(relevance.get("topics") or ())
    duration = _parse_int(context.get("duration_months"))
    return engine.Application(
        action=application.action_type, call_year=application.call.year, round=application.call.round,
        lump_sum=_parse_money(context.get("lump_sum")), start_date=_parse_date(context.get("start_date")),
        duration_months=duration, submitted_at=submitted_at, organisations=organisations,
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


def record_parties(submission, application, parts):
    """Replace the application's SubmissionParty rows by those of its new current ``submission``."""
    SubmissionParty.objects.filter(application=application).delete()
    SubmissionParty.objects.bulk_create([SubmissionParty(
        submission=submission, application=application, oid=p.organisation.oid, role=p.role,
        action_id=application.action_id, action_code=application.action.code, sector=application.sector or "",
        agency_code=application.agency.code if application.agency_id else "",
        deadline=application.call.deadline) for p in parts])


def evaluate(application, submitted_at=None, others=None, parts=None):
    """Run the eligibility engine over the application (with the other submitted applications that share
    an organisation with it)."""
    if parts is None:
        parts = participants(application)
    if others is None:
        others = other_applications(application, [p.organisation.oid for p in parts])
    return engine.evaluate(eligibility_input(application, submitted_at, parts=parts), call_rules(application),
                           country_infos(application), others)


def engine_messages(verdict, key):
    """The engine's checks that belong to form section ``key``."""
    return [c for c in verdict.checks if ENGINE_SECTION.get(c.section, c.section) == key]


def annex_problems(application, annexes=None, parts=None):
    """Annexes still missing: the declaration on honour and a mandate for each partner."""
    annexes = list(application.annexes.all()) if annexes is None else annexes
    problems = []
    if not any(a.kind == AnnexKind.DECLARATION for a in annexes):
        problems.append(_("Upload the declaration on honour signed by the legal representative of the applicant."))
    mandated = {a.organisation_id for a in annexes if a.kind == AnnexKind.MANDATE}
    for p in (participants(application) if parts is None else parts):
        if p.role == ParticipantRole.PARTNER and p.organisation_id not in mandated:
            problems.append(_("Upload the mandate signed by %(name)s.") % {"name": p.organisation.legal_name})
    return problems, bool(annexes)


def section_state(application, section, verdict, partners=None, annexes=None, parts=None):
    """(status, problems) of one section: problems are messages that block submission."""
    key = section.key
    failed = [c.message for c in engine_messages(verdict, key) if c.severity == engine.model.ERROR
              and c.passed is False]
    if key == "annexes":
        problems, started = annex_problems(application, annexes, parts)
        if not started:
            return SectionStatus.NOT_STARTED, problems
        return (SectionStatus.IN_PROGRESS if problems else SectionStatus.COMPLETE), problems
    if key == "organisations":
        started = section.version > 0
        if failed:
            return (SectionStatus.HAS_ERRORS if started else SectionStatus.NOT_STARTED), failed
        return (SectionStatus.COMPLETE if started else SectionStatus.NOT_STARTED), failed
    missing, errors = form_problems(application, key, section.data, partners)
    problems = failed + [message for _name, message in errors]
    if missing:
        problems.append(_("Fill in every required field of this section."))
    if section.version == 0 and not section.data:
        return SectionStatus.NOT_STARTED, problems or [_("Fill in this section.")]
    if failed or errors:
        return SectionStatus.HAS_ERRORS, problems
    if missing:
        return SectionStatus.IN_PROGRESS, problems
    return SectionStatus.COMPLETE, problems


def refresh_statuses(application, verdict=None):
    """Re-run the engine and store each section's status (a save elsewhere may change this section)."""
    verdict = verdict or evaluate(application)
    partners = partner_organisations(application)
    for section in application.sections.all():
        status, _problems = section_state(application, section, verdict, partners)
        if status != section.status:
            Section.objects.filter(pk=section.pk).update(status=status)
    return verdict


def _full_organisations(parts):
    return [p.organisation for p in parts if p.role in (ParticipantRole.APPLICANT, ParticipantRole.PARTNER)]


def blocking_problems(application, verdict, parts=None, section_map=None, annexes=None):
    """[(section key, message)] that stop the submission: every section complete, the engine satisfied.
    ``parts``, ``section_map`` and ``annexes`` may be passed when already loaded."""
    problems = []
    parts = participants(application) if parts is None else parts
    partners = _full_organisations(parts)
    section_map = sections(application) if section_map is None else section_map
    annexes = list(application.annexes.select_related("organisation")) if annexes is None else annexes
    for key, section in section_map.items():
        _status, messages = section_state(application, section, verdict, partners, annexes, parts)
        problems += [(key, message) for message in messages]
    for check in verdict.errors:
        if not any(message == check.message for _key, message in problems):
            problems.append((ENGINE_SECTION.get(check.section, "checklist"), check.message))
    return problems


# --- submission ----------------------------------------------------------------------------------------

def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_of(value):
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _next_number(application):
    call, series_name = application.call, str(application.call.year)
    series = NumberSeries.objects.select_for_update().filter(name=series_name).first()
    if series is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.create(name=series_name, last=0)
        except IntegrityError:
            pass
        series = NumberSeries.objects.select_for_update().get(name=series_name)
    series.last += 1
    series.save(update_fields=["last"])
    return (f"{call.year}-{call.round}-{application.agency.code}-{application.action.code}-"
            f"{application.sector or 'GEN'}-{series.last:09d}")


def build_snapshot(application, submitted_at, user, parts=None, section_map=None, annexes=None):
    parts = participants(application) if parts is None else parts
    section_list = application.sections.all() if section_map is None else section_map.values()
    annexes = application.annexes.select_related("organisation") if annexes is None else annexes
    return json.loads(canonical_json({
        "number": application.number,
        "submitted_at": submitted_at.isoformat(),
        "submitted_by": {"id": user.pk, "name": user.get_full_name()},
        "call": {"year": application.call.year, "round": application.call.round,
                 "deadline": application.call.deadline.isoformat()},
        "action": application.action.code, "sector": application.sector, "agency": application.agency.code,
        "title": application.title, "language": application.language,
        "organisations": [{
            "oid": p.organisation.oid, "role": p.role, "legal_name": p.organisation.legal_name,
            "country": p.organisation.country_id, "type": p.organisation.organisation_type,
            "city": p.organisation.city, "website": p.organisation.website,
        } for p in parts],
        "sections": {s.key: {"version": s.version, "data": s.data} for s in section_list},
        "annexes": [{"kind": a.kind, "name": a.original_name, "size": a.size, "sha256": a.sha256,
                     "organisation": a.organisation.oid if a.organisation_id else None}
                    for a in annexes],
    }))


def _checked(application, submitted_at, others=None):
    """Everything the submission needs, read once: (verdict, problems, parts, sections, annexes)."""
    parts = participants(application)
    section_map = sections(application)
    annexes = list(application.annexes.select_related("organisation"))
    data = {key: (section.data, section.version) for key, section in section_map.items()}
    if others is None:
        others = other_applications(application, [p.organisation.oid for p in parts])
    verdict = engine.evaluate(eligibility_input(application, submitted_at, section_data=data, parts=parts),
                              call_rules(application), country_infos(application), others)
    problems = blocking_problems(application, verdict, parts, section_map, annexes)
    return verdict, problems, parts, section_map, annexes


def submit(application, user):
    """Submit (or resubmit) before the deadline: checked on the server inside the committing transaction.

    The application row is locked first (one submission of it at a time) and everything about the
    application alone — its sections, forms, annexes, the snapshot — is read and checked under that lock.
    Only then the per-call lock is taken (two submissions cannot both slip under a cap), and under it just
    the rules across applications are re-checked against the submissions committed meanwhile, the
    deadline read and the rows inserted, so the serialised part stays short.
    """
    _require(user, application, AccessLevel.SUBMIT)
    from eplus.programme.models import Call

    with acting_as(user), transaction.atomic():
        application = Application.objects.select_for_update(of=("self",)).select_related(
            "call", "action", "agency", "applicant").get(pk=application.pk)
        _require_open(application)
        verdict, problems, parts, section_map, annexes = _checked(application, clock.now())
        if problems or not verdict.eligible:
            raise NotEligible(_("The application cannot be submitted yet; correct the problems listed."), problems)
        snapshot = build_snapshot(application, clock.now(), user, parts, section_map, annexes)

        # One lock per call (= action and deadline): from here to the commit, submissions of the call queue.
        list(Call.objects.select_for_update().filter(pk=application.call_id).values_list("pk", flat=True))
        now = clock.now()
        _require_open(application, now)
        data = {key: (section.data, section.version) for key, section in section_map.items()}
        final = engine.evaluate(
            eligibility_input(application, now, section_data=data, parts=parts), call_rules(application),
            country_infos(application), other_applications(application, [p.organisation.oid for p in parts]))
        if final.checks != verdict.checks:
            problems = blocking_problems(application, final, parts, section_map, annexes)
            if problems or not final.eligible:
                raise NotEligible(_("The application cannot be submitted yet; correct the problems listed."),
                                  problems)
        if not application.number:
            application.number = _next_number(application)
        snapshot["number"], snapshot["submitted_at"] = application.number, now.isoformat()
        Submission.objects.filter(application=application, is_current=True).update(is_current=False)
        submission = Submission.objects.create(
            application=application, number=application.number, submitted_at=now, submitted_by=user,
            snapshot=snapshot, sha256=sha256_of(snapshot), is_current=True)
        record_parties(submission, application, parts)
        record(submission, "create", verb="submit", changes={"sha256": [None, submission.sha256]},
               agency_code=application.agency.code)
        application.status = Status.SUBMITTED
        application.submitted_at = now
        application.save(audit_verb="submit")
        transaction.on_commit(lambda: _after_submit(submission.pk))
    return submission


def _after_submit(submission_id):
    from .tasks import render_submission_pdf

    render_submission_pdf.enqueue(submission_id)
    send_confirmation(Submission.objects.select_related(
        "application", "application__applicant", "submitted_by").get(pk=submission_id))


@lru_cache(maxsize=1)
def _zone_table():
    for path in (Path("/usr/share/zoneinfo/zone.tab"),):
        if path.exists():
            text = path.read_text(encoding="utf-8")
            break
    else:
        try:
            from importlib.resources import files

            text = (files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            text = ""
    table = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                table.setdefault(parts[0], parts[2])
    return table


def country_time_zone(country_code):
    """The (first) time zone of a country from the tz database's zone.tab: LV → Europe/Riga."""
    return ZoneInfo(_zone_table().get((country_code or "").upper(), "Europe/Brussels"))


def format_local(instant, country_code):
    zone = country_time_zone(country_code)
    local = instant.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M:%S} {local.tzname()} ({zone.key})"


def send_confirmation(submission):
    application, user = submission.application, submission.submitted_by
    if user is None or not user.email:
        return
    context = {
        "submission": submission, "application": application, "user": user,
        "brussels": f"{clock.to_brussels(submission.submitted_at):%d %b %Y, %H:%M:%S %Z}",
        "local": format_local(submission.submitted_at, application.applicant.country_id),
        "link": settings.SITE_URL.rstrip("/") + application.get_absolute_url(),
    }
    send_templated_mail("applications/email/submitted", context, user.email, language_of(user))


def current_submission(application):
    return application.submissions.filter(is_current=True).first()


def withdraw(application, user, reason=""):
    """Withdraw a submitted application before the deadline; it no longer counts for assessment."""
    _require(user, application, AccessLevel.SUBMIT)
    with acting_as(user), transaction.atomic():
        application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        _require_open(application)
        if not workflow.allowed("withdraw", application.status):
            raise ApplicationError(_("Only a submitted application can be withdrawn."))
        current = current_submission(application)
        Submission.objects.filter(application=application, is_current=True).update(is_current=False)
        SubmissionParty.objects.filter(application=application).delete()
        Withdrawal(application=application, submission=current, withdrawn_at=clock.now(), withdrawn_by=user,
                   reason=reason).save(audit_verb="withdraw")
        application.status = Status.WITHDRAWN
        application.save(audit_verb="withdraw", audit_reason=reason)
    return application


# --- files ---------------------------------------------------------------------------------------------

def check_file(uploaded):
    """(content type, size, sha256) of an annex or screenshot: PDF, PNG or JPEG by their content."""
    return check_document(uploaded, _("%(name)s is not a PDF, PNG or JPEG file; upload one of those."))


def add_annex(application, kind, uploaded, user, organisation=None):
    _require(user, application, AccessLevel.EDIT)
    _require_open(application)
    if kind not in AnnexKind.values:
        raise ValidationError({"kind": [_("Choose the kind of annex.")]})
    if kind == AnnexKind.MANDATE and organisation is None:
        raise ValidationError({"organisation": [_("Choose the partner whose mandate this is.")]})
    content_type, size, digest = check_file(uploaded)
    with acting_as(user), transaction.atomic():
        annex = Annex(application=application, kind=kind, organisation=organisation, original_name=uploaded.name[:255],
                      size=size, sha256=digest, content_type=content_type, uploaded_by=user)
        annex.file.save(Path(uploaded.name).name, uploaded, save=False)
        annex.save(audit_verb="upload-annex")
        _bump(application, "annexes", user, f"add {annex.original_name}")
    refresh_statuses(application)
    return annex


def remove_annex(application, annex, user):
    _require(user, application, AccessLevel.EDIT)
    _require_open(application)
    with acting_as(user), transaction.atomic():
        annex.delete()
        _bump(application, "annexes", user, f"remove {annex.original_name}")
    refresh_statuses(application)


# --- incidents -----------------------------------------------------------------------------------------

def incident_window_closes(call):
    from datetime import timedelta

    hours = (call.other_rules or {}).get("technical_incident_report_hours", INCIDENT_HOURS_DEFAULT)
    return call.deadline + timedelta(hours=hours)


def report_incident(user, application, description, files=()):
    """A technical-incident report, time-stamped on the server, for the application's agency."""
    _require(user, application, AccessLevel.EDIT)
    now = clock.now()
    if now >= incident_window_closes(application.call):
        raise ApplicationError(_("Technical problems must be reported within 2 hours after the deadline; that "
                                 "time has passed. Contact your National Agency directly."))
    if not (description or "").strip():
        raise ValidationError({"description": [_("Describe what happened.")]})
    checked = [(f, *check_file(f)) for f in files]
    with acting_as(user), transaction.atomic():
        report = IncidentReport(application=application, call=application.call, agency=application.agency,
                                user=user, description=description.strip(), reported_at=now)
        report.save(audit_verb="report-incident")
        for uploaded, content_type, size, digest in checked:
            shot = IncidentScreenshot(report=report, original_name=uploaded.name[:255], size=size, sha256=digest,
                                      content_type=content_type)
            shot.file.save(Path(uploaded.name).name, uploaded, save=False)
            shot.save()
    return report


def store_pdf(submission, pdf_bytes):
    """Attach the rendered PDF once (the snapshot itself is never touched)."""
    if submission.pdf:
        return submission
    name = submission.pdf.field.generate_filename(submission, f"{submission.number}-{submission.pk}.pdf")
    stored = submission.pdf.storage.save(name, ContentFile(pdf_bytes))
    Submission.objects.filter(pk=submission.pk, pdf="").update(pdf=stored)
    submission.refresh_from_db()
    return submission

