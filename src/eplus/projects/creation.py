"""The project of a countersigned grant agreement: called by the agency back office (evaluation) at
countersignature. It copies the application as submitted, gives the people their rights, plans the
payments and the report deadlines from the call's figures and publishes the public project card."""

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from eplus.applications.models import ApplicationAccess
from eplus.core.audit import acting_as
from eplus.core.files import pending_file
from eplus.core.money import eur
from eplus.organisations.models import MANAGER_ROLES, Membership
from eplus.results.publishing import publish_project_card

from . import figures, finance
from .models import (
    AccessLevel, Payment, PaymentKind, PaymentStatus, Project, ProjectAccess, ProjectPartner, Report, ReportKind,
)
from .payments import letters_after_commit
from .queries import active_partners, application_snapshot, project_card

EDIT_SHARES = ("edit", "submit")


def create_project(application, *, signed_on, start_date, end_date, lump_sum, agreement_pdf=None, created_by=None):
    """The project of a countersigned grant agreement (idempotent: a second call returns it).

    Refused with :class:`eplus.projects.figures.MissingFigure` (nothing created) when the call's data
    lacks a figure the project needs."""
    existing = Project.objects.filter(application=application).first()
    if existing is not None:
        return existing
    call = application.call
    terms = _call_terms(call)
    with acting_as(created_by), transaction.atomic():
        project = _new_project(application, signed_on=signed_on, start_date=start_date, end_date=end_date,
                               lump_sum=eur(lump_sum), created_by=created_by)
        if project is None:  # made meanwhile by a parallel call
            return Project.objects.get(application=application)
        if agreement_pdf is not None:
            _attach_agreement(project, agreement_pdf)
        participations = list(application.participations.select_related("organisation"))
        _grant_rights(project, application, participations)
        _add_partners(project, application, participations)
        _plan_payments(project, terms)
        _plan_reports(project, terms)
        _publish_card(project, application, participations)
    return project


def _call_terms(call):
    """The call's figures a new project needs, all read before anything is created."""
    return {"schedule": figures.payment_schedule(call), "payment_days": figures.first_prefinancing_days(call),
            "progress_days": figures.progress_report_days(call), "final_days": figures.final_report_days(call)}


def _new_project(application, *, signed_on, start_date, end_date, lump_sum, created_by):
    call = application.call
    snapshot = application_snapshot(application)
    project = Project(
        application=application, call=call, agency=application.agency, coordinator=application.applicant,
        number=application.number or f"P-{application.pk}", title=application.title or str(application),
        action_code=application.action.code, signed_on=signed_on, start_date=start_date, end_date=end_date,
        lump_sum=lump_sum, budget_items=_budget_items(snapshot),
        budget_kind=(call.structure or {}).get("kind") or "work-packages", created_by=created_by)
    try:
        with transaction.atomic():
            project.save(audit_verb="create-from-grant")
    except IntegrityError:
        return None
    return project


def _budget_items(snapshot):
    items = (((snapshot.get("sections") or {}).get("design") or {}).get("data") or {}).get("items") or []
    rows = []
    for index, item in enumerate(items, start=1):
        try:
            amount = eur(item.get("amount") or "0")
        except (ValueError, TypeError):
            amount = Decimal("0.00")
        rows.append({"number": index, "title": item.get("title", "") or "", "amount": str(amount)})
    return rows


def _attach_agreement(project, agreement_pdf):
    name = getattr(agreement_pdf, "name", None) or f"{project.number}-agreement.pdf"
    if isinstance(agreement_pdf, (bytes, bytearray)):
        content = ContentFile(bytes(agreement_pdf))
    elif isinstance(agreement_pdf, File):
        content = agreement_pdf
    else:  # an open binary file
        content = File(agreement_pdf)
    stored_name = project.agreement_pdf.field.generate_filename(project, Path(name).name)
    with pending_file(stored_name, content, storage=project.agreement_pdf.storage) as stored:
        project.agreement_pdf.name = stored.name
        project.save(audit_verb="attach-agreement")


def _memberships(organisation_ids):
    return Membership.objects.filter(organisation_id__in=organisation_ids).select_related("user")


def _grant_rights(project, application, participations):
    """The applicant's managers edit, its other members and the partners' managers view; an explicit edit
    share of the application keeps edit rights."""
    partner_ids = [p.organisation_id for p in participations if p.organisation_id != application.applicant_id]
    levels = {}
    for membership in _memberships([application.applicant_id]):
        level = AccessLevel.EDIT if membership.role in MANAGER_ROLES else AccessLevel.VIEW
        levels[membership.user_id] = (membership.user, level, membership.organisation_id)
    for membership in _memberships(partner_ids).filter(role__in=MANAGER_ROLES):
        levels.setdefault(membership.user_id, (membership.user, AccessLevel.VIEW, membership.organisation_id))
    for share in ApplicationAccess.objects.filter(application=application, level__in=EDIT_SHARES):
        if share.user_id in levels:
            user, _level, organisation_id = levels[share.user_id]
            levels[share.user_id] = (user, AccessLevel.EDIT, organisation_id)
    for user, level, organisation_id in levels.values():
        ProjectAccess.objects.create(project=project, user=user, level=level, organisation_id=organisation_id)


def _add_partners(project, application, participations):
    for participation in participations:
        if participation.organisation_id != application.applicant_id:
            ProjectPartner.objects.create(project=project, organisation_id=participation.organisation_id,
                                          role=participation.role, order=participation.order)


def _schedule_kind(code):
    return {"prefinancing": PaymentKind.PREFINANCING, "further-prefinancing": PaymentKind.FURTHER,
            "balance": PaymentKind.BALANCE}.get(code, PaymentKind.FURTHER)


def _plan_payments(project, terms):
    """The payments of the call's schedule: the first is due within the call's payment period."""
    due_now = []
    for sequence, instalment in enumerate(finance.payment_plan(project.lump_sum, terms["schedule"]), start=1):
        first = instalment.due == "signature"
        payment = Payment.objects.create(
            project=project, kind=_schedule_kind(instalment.code), sequence=sequence, percent=instalment.percent,
            amount=instalment.amount, at_most=instalment.at_most,
            due=finance.first_prefinancing_due(project.signed_on, terms["payment_days"]) if first else None,
            status=PaymentStatus.DUE if first else PaymentStatus.PLANNED)
        if first:
            due_now.append(payment)
    letters_after_commit(due_now)


def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def reporting_periods(project, schedule):
    """The agreement's reporting periods before the final report: one mid-term period ending half-way
    through the project (an interim report when the schedule pays a further pre-financing on it, a
    progress report otherwise). Projects of under 12 months have none."""
    months = (project.end_date.year - project.start_date.year) * 12 + project.end_date.month - project.start_date.month + 1
    if months < 12:
        return []
    period_end = _add_months(project.start_date, months // 2) - timedelta(days=1)
    interim = any(item.get("due") == "interim-report" for item in schedule)
    return [(ReportKind.INTERIM if interim else ReportKind.PROGRESS, project.start_date, period_end)]


def _plan_reports(project, terms):
    periods = reporting_periods(project, terms["schedule"])
    deadlines = finance.report_due_dates(project.end_date, [end for _kind, _start, end in periods],
                                         progress_days=terms["progress_days"], final_days=terms["final_days"])
    for sequence, ((kind, start, end), deadline) in enumerate(zip(periods, deadlines, strict=False), start=1):
        Report.objects.create(project=project, kind=kind, sequence=sequence, period_start=start, period_end=end,
                              due=deadline.due)
    Report.objects.create(project=project, kind=ReportKind.FINAL, sequence=len(periods) + 1,
                          period_start=project.start_date, period_end=project.end_date, due=deadlines[-1].due)


def _publish_card(project, application, participations):
    """The public project card (results platform)."""
    summary = (((application_snapshot(application).get("sections") or {}).get("summary") or {}).get("data") or {})
    return publish_project_card({
        "identifier": project.number, "title": project.title,
        "summary_en": "\n\n".join(v for v in (summary.get("objectives"), summary.get("implementation"),
                                              summary.get("results")) if v),
        "action_type": application.action_type, "call_year": project.call.year,
        "start_date": project.start_date, "end_date": project.end_date, "eu_grant": project.lump_sum,
        "agency": project.agency, "coordinator": project.coordinator,
        "partners": [p.organisation for p in participations if p.organisation_id != project.coordinator_id],
    })


def refresh_card(project):
    """Bring the public project card up to date with the project's dates and partners (keeping what the
    results platform holds: summary, topics, website, statuses)."""
    card = project_card(project)
    if card is None:
        return None
    return publish_project_card({
        "identifier": card.identifier, "title": card.title, "summary_en": card.summary_en,
        "key_action": card.key_action, "action": card.action, "action_type": card.action_type,
        "sector": card.sector, "call_year": card.call_year, "topics": card.topics, "website": card.website,
        "start_date": project.start_date, "end_date": project.end_date, "eu_grant": project.lump_sum,
        "agency": project.agency, "coordinator": project.coordinator, "partners": active_partners(project),
    })
