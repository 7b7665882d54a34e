"""The verbs of the beneficiary module (DOMAIN §7).

- :func:`create_project` — called by the agency back office when a grant agreement is countersigned
- access: :func:`access_level`, :func:`grant_access`
- reports: :func:`initial_sections`, :func:`save_report`, :func:`attach_declaration` (submission and the
  agency's decisions are transitions in :mod:`eplus.projects.workflow`)
- payments: :func:`paid_total`, :func:`mark_paid`, :func:`payment_letter_pdf`, :func:`payments_csv`
- :func:`results_submitted` (the results-platform gate of the final-report approval)
- :func:`compute_assessment` — the final grant, balance or recovery of a final report
- documents: :func:`dossier_zip`, :func:`ical_feed`

Money is Decimal euros; every clock reading goes through ``eplus.core.time.now()``.
"""

import csv
import hashlib
import io
import json
import zipfile
from calendar import monthrange
from datetime import date, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from pathlib import Path
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, history, record
from eplus.core.files import check_document
from eplus.core.mail import language_of, send_templated_mail
from eplus.core.money import eur, format_eur
from eplus.organisations.models import MANAGER_ROLES, Membership
from eplus.results.models import ProjectCard
from eplus.results.services import publish_project_card
from eplus.results.workflow import results_entered

from . import finance
from .models import (
    AccessLevel, Payment, PaymentKind, PaymentStatus, Project, ProjectAccess, ProjectPartner,
    Report, ReportKind, ReportStatus, ReportVersion,
)

TEXT_SECTIONS = ("activities", "participants", "results", "impact", "dissemination")
LEVEL_RANK = {None: 0, AccessLevel.VIEW: 1, AccessLevel.EDIT: 2}


class ProjectError(Exception):
    """A refused action; ``str(exc)`` is the message for the user."""


def today():
    return clock.to_brussels(clock.now()).date()


# --- access ------------------------------------------------------------------------------------

def access_level(user, project):
    """"edit", "view" or None: the user's own rights on ``project`` (agency staff excluded)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(project, "_access_cache", None)
    if cache is None:
        cache = project._access_cache = {}
    if user.pk not in cache:
        cache[user.pk] = ProjectAccess.objects.filter(project=project, user=user).values_list(
            "level", flat=True).first()
    return cache[user.pk]


def can_view(user, project):
    return LEVEL_RANK[access_level(user, project)] >= 1


def can_edit(user, project):
    return access_level(user, project) == AccessLevel.EDIT


def require_edit(user, project):
    if not can_edit(user, project):
        raise PermissionDenied(_("You can only view this project; ask the coordinator for edit rights."))


def grant_access(project, user, level, by):
    """Set ``user``'s rights (only someone with edit rights may grant them)."""
    require_edit(by, project)
    if level not in AccessLevel.values:
        raise ValidationError(_("Choose view or edit."))
    with acting_as(by):
        access, created = ProjectAccess.objects.get_or_create(project=project, user=user, defaults={"level": level})
        if not created and access.level != level:
            access.level = level
            access.save(audit_verb="change-access")
    getattr(project, "_access_cache", {}).pop(user.pk, None)
    return access


def edit_recipients(project):
    """Users with edit rights: they receive reminders and notices."""
    return [a.user for a in project.accesses.filter(level=AccessLevel.EDIT).select_related("user")
            if a.user.email and a.user.is_active]


# --- creation from the grant -------------------------------------------------------------------

def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def application_snapshot(application):
    submission = application.submissions.filter(is_current=True).first()
    if submission is not None:
        return submission.snapshot
    return {"sections": {s.key: {"data": s.data} for s in application.sections.all()}}


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


def _schedule_kind(code):
    return {"prefinancing": PaymentKind.PREFINANCING, "further-prefinancing": PaymentKind.FURTHER,
            "balance": PaymentKind.BALANCE}.get(code, PaymentKind.FURTHER)


def _memberships(organisation_ids):
    return Membership.objects.filter(organisation_id__in=organisation_ids).select_related("user")


def _publish_card(project, application, participations):
    """The public project card (results platform). Guarded: the results app may not provide it yet."""
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


def create_project(application, *, signed_on, start_date, end_date, lump_sum, agreement_pdf=None, created_by=None):  # noqa: C901 - to be split (issue 10)
    """The project of a countersigned grant agreement (idempotent: a second call returns it)."""
    existing = Project.objects.filter(application=application).first()
    if existing is not None:
        return existing
    from eplus.applications.models import ApplicationAccess

    call = application.call
    lump_sum = eur(lump_sum)
    with acting_as(created_by), transaction.atomic():
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
            return Project.objects.get(application=application)
        if agreement_pdf is not None:
            name = getattr(agreement_pdf, "name", None) or f"{project.number}-agreement.pdf"
            if isinstance(agreement_pdf, (bytes, bytearray)):
                content = ContentFile(bytes(agreement_pdf))
            elif isinstance(agreement_pdf, File):
                content = agreement_pdf
            else:  # an open binary file
                content = File(agreement_pdf)
            project.agreement_pdf.save(Path(name).name, content, save=False)
            project.save(audit_verb="attach-agreement")

        # People: the applicant's managers edit, its other members and the partners' contacts view;
        # an explicit edit share of the application keeps edit rights.
        participations = list(application.participations.select_related("organisation"))
        partner_ids = [p.organisation_id for p in participations if p.organisation_id != application.applicant_id]
        levels = {}
        for membership in _memberships([application.applicant_id]):
            level = AccessLevel.EDIT if membership.role in MANAGER_ROLES else AccessLevel.VIEW
            levels[membership.user_id] = (membership.user, level, membership.organisation_id)
        for membership in _memberships(partner_ids).filter(role__in=MANAGER_ROLES):
            levels.setdefault(membership.user_id, (membership.user, AccessLevel.VIEW, membership.organisation_id))
        for share in ApplicationAccess.objects.filter(application=application).select_related("user"):
            if share.level in ("edit", "submit") and share.user_id in levels:
                user, _level, org = levels[share.user_id]
                levels[share.user_id] = (user, AccessLevel.EDIT, org)
        for user, level, organisation_id in levels.values():
            ProjectAccess.objects.create(project=project, user=user, level=level, organisation_id=organisation_id)
        for participation in participations:
            if participation.organisation_id != application.applicant_id:
                ProjectPartner.objects.create(project=project, organisation_id=participation.organisation_id,
                                              role=participation.role, order=participation.order)

        # Payments from the call's schedule.
        schedule = call.payment_schedule or [{"code": "prefinancing", "percent": "80", "due": "signature"},
                                             {"code": "balance", "percent": "20", "due": "final-report"}]
        for sequence, instalment in enumerate(finance.payment_plan(lump_sum, schedule), start=1):
            first = instalment.due == "signature"
            Payment.objects.create(
                project=project, kind=_schedule_kind(instalment.code), sequence=sequence, percent=instalment.percent,
                amount=instalment.amount, at_most=instalment.at_most,
                due=finance.first_prefinancing_due(signed_on, call.first_prefinancing_days or 30) if first else None,
                status=PaymentStatus.DUE if first else PaymentStatus.PLANNED)

        # Report deadlines.
        periods = reporting_periods(project, schedule)
        progress_days = call.progress_report_days or 30
        for sequence, (kind, start, end) in enumerate(periods, start=1):
            Report.objects.create(project=project, kind=kind, sequence=sequence, period_start=start, period_end=end,
                                  due=end + timedelta(days=progress_days))
        final_due = finance.report_due_dates(end_date, final_days=call.final_report_days or 60)[-1].due
        Report.objects.create(project=project, kind=ReportKind.FINAL, sequence=len(periods) + 1,
                              period_start=start_date, period_end=end_date, due=final_due)
        _publish_card(project, application, participations)
    return project


def project_card(project):
    return ProjectCard.objects.filter(identifier=project.number).first()


def results_submitted(project):
    """True once the project's results were submitted on the results platform (under review or approved)."""
    card = project_card(project)
    if card is None:
        return False
    return results_entered(card)


# --- reports -----------------------------------------------------------------------------------

def _text(*parts):
    return "\n\n".join(p.strip() for p in parts if p and str(p).strip())


def sections_from_snapshot(project):
    """The report sections pre-filled from the application as submitted."""
    snap = application_snapshot(project.application)
    sections = snap.get("sections") or {}
    design = ((sections.get("design") or {}).get("data") or {}).get("items") or []
    impact = (sections.get("impact") or {}).get("data") or {}
    summary = (sections.get("summary") or {}).get("data") or {}
    activities = []
    for index, item in enumerate(design, start=1):
        if project.budget_kind == "work-packages":
            activities.append(_text(f"WP{index} {item.get('title', '')}", item.get("activities", "")))
        else:
            activities.append(_text(f"{item.get('title', '')} ({item.get('start', '')} – {item.get('end', '')}, "
                                    f"{item.get('venue', '')})", item.get("description", "")))
    participants = [f"{item.get('title', '')}: {item.get('participants')}" for item in design
                    if item.get("participants") not in (None, "")]
    return {
        "activities": _text(*activities),
        "participants": "\n".join(participants),
        "results": _text(summary.get("results", ""), *[item.get("results", "") for item in design]),
        "impact": impact.get("impact", ""),
        "dissemination": impact.get("dissemination", ""),
        "budget": [{"number": item["number"], "title": item["title"], "planned": item["amount"], "used": "",
                    "comment": ""} for item in project.budget_items],
    }


def initial_sections(report):
    """What a new report starts from: the latest earlier submitted report (information accumulates over
    the project), else the application."""
    earlier = (Report.objects.filter(project=report.project, sequence__lt=report.sequence)
               .exclude(status__in=[ReportStatus.DRAFT, ReportStatus.CANCELLED]).order_by("-sequence").first())
    if earlier is not None and earlier.sections:
        return json.loads(json.dumps(earlier.sections))
    return sections_from_snapshot(report.project)


def report_sections(report):
    if not report.sections:
        report.sections = initial_sections(report)
    return report.sections


def project_locked(project):
    """Submitting a report locks the project data until the agency decides on it."""
    return project.reports.filter(status=ReportStatus.SUBMITTED).exists()


def _require_editable_report(user, report):
    require_edit(user, report.project)
    if not report.is_editable:
        raise ProjectError(_("This report has been submitted and is locked; it can be changed only if the agency "
                             "asks for an update."))
    if report.project.status == "terminated":
        raise ProjectError(_("The project has been terminated; its reports cannot be changed."))


def save_report(report, user, *, language, sections, prefinancing_used=None):
    """Save a draft (nothing is checked for completeness here: that happens on submission)."""
    _require_editable_report(user, report)
    with acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.language = language or ""
        report.sections = sections
        if report.kind == ReportKind.INTERIM:
            report.prefinancing_used = None if prefinancing_used in (None, "") else eur(prefinancing_used)
        report.save(audit_verb="save-report")
    return report


def check_file(uploaded):
    """(content type, size, sha256) of a signed declaration on honour: PDF, PNG or JPEG by its content."""
    return check_document(uploaded, _("%(name)s is not a PDF, PNG or JPEG file; attach the signed declaration on "
                                      "honour as one of those."))


def attach_declaration(report, uploaded, user):
    _require_editable_report(user, report)
    kind, _size, digest = check_file(uploaded)
    with acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.declaration_sha256 = digest
        report.declaration_type = kind
        report.declaration_name = Path(uploaded.name).name[:255]
        report.declaration.save(Path(uploaded.name).name, uploaded, save=False)
        report.save(audit_verb="attach-declaration")
    return report


def submission_problems(report):
    """What must be put right before the report can be submitted (empty when it can)."""
    problems = []
    if report.language not in ("lv", "en"):
        problems.append(_("Choose the language of the report: Latvian or English."))
    sections = report.sections or {}
    labels = section_labels()
    for key in TEXT_SECTIONS:
        if not (sections.get(key) or "").strip():
            problems.append(_("Fill in the section “%(section)s”.") % {"section": labels[key]})
    for item in sections.get("budget") or []:
        if str(item.get("used", "")).strip() == "":
            problems.append(_("Give the amount used for “%(item)s”.") % {"item": item.get("title") or item.get("number")})
    if report.kind == ReportKind.INTERIM and report.prefinancing_used is None:
        problems.append(_("Give the amount of the pre-financing used so far."))
    if not report.declaration:
        problems.append(_("Attach the declaration on honour signed by the legal representative."))
    return problems


def section_labels():
    return {
        "activities": _("Activities carried out (with dates and places)"),
        "participants": _("Participants"),
        "results": _("Results"),
        "impact": _("Impact"),
        "dissemination": _("Dissemination of the results"),
        "budget": _("Use of the budget"),
    }


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def new_version(report, user, now):
    number = report.versions.count() + 1
    payload = {"report": report.pk, "number": number, "language": report.language, "sections": report.sections,
               "prefinancing_used": str(report.prefinancing_used) if report.prefinancing_used is not None else None,
               "declaration_sha256": report.declaration_sha256}
    return ReportVersion.objects.create(
        report=report, number=number, submitted_at=now, submitted_by=user, language=report.language,
        sections=report.sections, prefinancing_used=report.prefinancing_used, declaration_name=report.declaration_name,
        declaration_sha256=report.declaration_sha256,
        sha256=hashlib.sha256(canonical_json(payload).encode()).hexdigest())


# --- payments ----------------------------------------------------------------------------------

def paid_total(project):
    return sum((p.amount for p in project.payments.filter(status=PaymentStatus.PAID)
                if p.kind != PaymentKind.RECOVERY), Decimal("0.00"))


def mark_paid(payment, user, paid_on=None):
    if payment.status not in (PaymentStatus.DUE,):
        raise ProjectError(_("Only a payment that is due can be marked as paid."))
    with acting_as(user):
        payment.status = PaymentStatus.PAID
        payment.paid_on = paid_on or today()
        payment.save(audit_verb="mark-paid")
    return payment


def render_pdf(template, context):
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR) if hasattr(settings, "BASE_DIR") else None).write_pdf()


def payment_letter_pdf(payment):
    """The payment (or recovery) letter as PDF bytes; stored on the payment the first time."""
    if payment.letter:
        with payment.letter.open("rb") as handle:
            return handle.read()
    project = payment.project
    pdf = render_pdf("projects/payment_letter.html", {
        "payment": payment, "project": project, "amount": format_eur(payment.amount), "today": today()})
    name = f"{project.number}-{payment.kind}-{payment.sequence}.pdf"
    payment.letter.save(name, ContentFile(pdf), save=False)
    Payment.objects.filter(pk=payment.pk).update(letter=payment.letter.name)
    record(payment, "event", verb="payment-letter")
    return pdf


PAYMENT_COLUMNS = ("project", "kind", "sequence", "amount", "at_most", "due", "status", "reason", "paid_on")


def payments_csv(payments):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(PAYMENT_COLUMNS)
    for p in payments:
        writer.writerow([p.project.number, p.kind, p.sequence, f"{p.amount:.2f}", "yes" if p.at_most else "no",
                         p.due.isoformat() if p.due else "", p.status, p.status_reason,
                         p.paid_on.isoformat() if p.paid_on else ""])
    return buffer.getvalue()


# --- final assessment --------------------------------------------------------------------------

def scored_work_packages(project):
    """Work-package numbers to score: KA220 each WP except WP1 (when the amounts make up the lump sum);
    otherwise (KA210) the project is scored overall and this is empty."""
    if project.budget_kind != "work-packages" or len(project.budget_items) < 2:
        return []
    total = sum((eur(i["amount"]) for i in project.budget_items), Decimal("0.00"))
    if total != project.lump_sum:
        return []
    return [i["number"] for i in project.budget_items if i["number"] != 1]


def compute_assessment(project, *, overall_score=None, wp_scores=None):
    """(FinalGrant, Balance) for the scores given, with the call's reduction bands."""
    bands = project.call.reduction_bands or [
        {"min_score": "50", "reduction_percent": "0"}, {"min_score": "40", "reduction_percent": "25"},
        {"min_score": "25", "reduction_percent": "50"}, {"min_score": "0", "reduction_percent": "75"}]
    numbers = scored_work_packages(project)
    if numbers:
        amounts = {i["number"]: i["amount"] for i in project.budget_items}
        grant = finance.final_grant_by_work_packages(amounts, {int(k): v for k, v in (wp_scores or {}).items()}, bands)
    else:
        grant = finance.final_grant(project.lump_sum, overall_score, bands)
    return grant, finance.balance(grant, paid_total(project))


# --- notifications -----------------------------------------------------------------------------

def notify(users, template, context):
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    sent = 0
    for user in users:
        data = {"user": user, "site": site, **context}
        send_templated_mail(f"projects/email/{template}", data, user.email, language_of(user))
        sent += 1
    return sent


def agency_staff(project):
    from eplus.programme.models import AgencyMembership

    return [m.user for m in AgencyMembership.objects.filter(
        agency_id=project.agency_id, role__in=AgencyMembership.STAFF_ROLES, active=True).select_related("user")]


# --- documents ---------------------------------------------------------------------------------

def _audit_rows(objects):
    rows = []
    for obj in objects:
        for event in history(obj).order_by("at", "id"):
            rows.append({"at": event.at.isoformat(), "who": event.actor_label, "action": event.action,
                         "verb": event.verb, "object": f"{event.object_type}#{event.object_id}",
                         "changes": event.changes, "reason": event.reason})
    rows.sort(key=lambda r: r["at"])
    return rows


def _add_file(archive, arcname, field):
    if not field:
        return
    try:
        with field.open("rb") as source, archive.open(arcname, "w") as target:
            for chunk in iter(lambda: source.read(64 * 1024), b""):
                target.write(chunk)
    except FileNotFoundError:
        archive.writestr(arcname + ".missing.txt", "The stored file could not be found.")


def dossier_zip(project):
    """One ZIP for auditors (a spooled temporary file, rewound): the application snapshot and PDF, the
    agreement, every report version and declaration, the assessment, payments and letters, the results
    and the audit trail (JSON and CSV)."""
    application = project.application
    spool = SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        def dump(name, value):
            archive.writestr(name, json.dumps(value, indent=2, ensure_ascii=False, default=str))

        dump("project.json", {
            "number": project.number, "title": project.title, "action": project.action_code,
            "coordinator": project.coordinator.oid, "signed_on": project.signed_on, "start_date": project.start_date,
            "end_date": project.end_date, "lump_sum": str(project.lump_sum), "status": project.status,
            "budget_items": project.budget_items,
            "partners": [{"oid": p.organisation.oid, "name": p.organisation.legal_name, "active": p.active}
                         for p in project.partners.select_related("organisation")],
            "people": [{"user": a.user.email, "level": a.level} for a in project.accesses.select_related("user")]})
        submission = application.submissions.filter(is_current=True).first()
        dump("application/snapshot.json", application_snapshot(application))
        if submission is not None:
            _add_file(archive, "application/application.pdf", submission.pdf)
        _add_file(archive, "agreement/grant-agreement.pdf", project.agreement_pdf)
        reports = list(project.reports.prefetch_related("versions"))
        for report in reports:
            base = f"reports/{report.sequence:02d}-{report.kind}"
            dump(f"{base}/report.json", {"kind": report.kind, "period": [report.period_start, report.period_end],
                                         "due": report.due, "status": report.status, "language": report.language,
                                         "sections": report.sections, "agency_comment": report.agency_comment})
            for version in report.versions.all():
                dump(f"{base}/version-{version.number}.json", {
                    "submitted_at": version.submitted_at, "language": version.language, "sections": version.sections,
                    "prefinancing_used": version.prefinancing_used, "declaration": version.declaration_name,
                    "declaration_sha256": version.declaration_sha256, "sha256": version.sha256})
            if report.declaration:
                _add_file(archive, f"{base}/declaration-{Path(report.declaration.name).name}", report.declaration)
        assessments = list(project.assessments.all())
        for assessment in assessments:
            dump("assessment/final-assessment.json", {
                "overall_score": assessment.overall_score, "wp_scores": assessment.wp_scores,
                "reduction_percent": assessment.reduction_percent, "reduction": assessment.reduction,
                "final_grant": assessment.final_grant, "paid": assessment.paid, "balance": assessment.balance,
                "decision_due": assessment.decision_due, "status": assessment.status,
                "comments": assessment.comments})
        payments = list(project.payments.select_related("project"))
        archive.writestr("payments/payments.csv", payments_csv(payments))
        for payment in payments:
            _add_file(archive, f"payments/letter-{payment.sequence}-{payment.kind}.pdf", payment.letter)
        amendments = list(project.amendments.all())
        dump("amendments.json", [{"kind": a.kind, "description": a.description, "proposed": a.proposed,
                                   "status": a.status, "reason": a.reason, "decided_at": a.decided_at}
                                  for a in amendments])
        card = project_card(project)
        if card is not None:
            results = list(card.results.prefetch_related("files"))
            dump("results/results.json", {
                "card": card.identifier, "results_status": card.results_status,
                "results": [{"title": r.title, "type": r.result_type, "description_en": r.description_en,
                             "link": r.link, "public": r.public,
                             "files": [{"name": f.original_name, "size": f.size, "sha256": f.sha256}
                                       for f in r.files.all()]} for r in results]})
            for result in results:
                for stored in result.files.all():
                    _add_file(archive, f"results/{result.pk}-{Path(stored.original_name).name}", stored.file)
        trail = _audit_rows([project, application, *project.accesses.all(), *project.partners.all(), *payments,
                             *reports, *assessments,
                             *amendments])
        dump("audit/audit-trail.json", trail)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["at", "who", "action", "verb", "object", "changes", "reason"])
        for row in trail:
            writer.writerow([row["at"], row["who"], row["action"], row["verb"], row["object"],
                             json.dumps(row["changes"], ensure_ascii=False, default=str), row["reason"]])
        archive.writestr("audit/audit-trail.csv", buffer.getvalue())
    spool.seek(0)
    return spool


def calendar_token(user):
    from .models import CalendarToken

    return CalendarToken.objects.get_or_create(user=user)[0]


def _ical_escape(text):
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def _fold(line):
    out, raw = [], line.encode("utf-8")
    while len(raw) > 75:
        cut = 75
        while (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        out.append(raw[:cut].decode("utf-8"))
        raw = b" " + raw[cut:]
    out.append(raw.decode("utf-8"))
    return "\r\n".join(out)


def ical_feed(user, projects):
    """An iCalendar (RFC 5545) text of the user's deadlines: project end dates and report due dates."""
    stamp = clock.now().astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//eplus//projects//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_ical_escape(_('Erasmus+ project deadlines'))}"]

    def event(uid, day, summary):
        lines.extend(["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", f"SUMMARY:{_ical_escape(summary)}",
                      "END:VEVENT"])

    for project in projects:
        event(f"project-{project.pk}-end@eplus", project.end_date,
              _("%(number)s: project end date") % {"number": project.number})
        for report in project.reports.all():
            if report.status == ReportStatus.CANCELLED:
                continue
            event(f"report-{report.pk}@eplus", report.due,
                  _("%(number)s: %(report)s due") % {"number": project.number, "report": report.get_kind_display()})
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# --- partners, people and rights ---------------------------------------------------------------

def active_partners(project):
    """The project's current partner organisations (the coordinator excluded), in order."""
    return [p.organisation for p in project.partners.filter(active=True).select_related("organisation")]


def participating_organisation_ids(project):
    return [project.coordinator_id, *project.partners.filter(active=True).values_list("organisation_id", flat=True)]


def can_manage_people(user, project):
    """The coordinator's legal representatives and contact persons who hold edit rights on the project."""
    if not can_edit(user, project):
        return False
    return Membership.objects.filter(organisation_id=project.coordinator_id, user=user,
                                     role__in=MANAGER_ROLES).exists()


def require_manage_people(user, project):
    if not can_manage_people(user, project):
        raise PermissionDenied(_("Only the coordinator's legal representatives and contact persons with edit rights "
                                 "can grant rights on the project."))


def people_and_rights(project):
    """One row per person who acts for a participating organisation (the coordinator first, then the
    partners): {"user", "organisations": [(Organisation, role label)], "level", "is_coordinator"}.
    Two queries whatever the number of people."""
    organisation_ids = participating_organisation_ids(project)
    memberships = (Membership.objects.filter(organisation_id__in=organisation_ids)
                   .select_related("user", "organisation")
                   .order_by("user__last_name", "user__first_name", "user__email", "pk"))
    levels = dict(ProjectAccess.objects.filter(project=project).values_list("user_id", "level"))
    rows = {}
    for membership in memberships:
        if not membership.user.is_active:
            continue
        row = rows.setdefault(membership.user_id, {"user": membership.user, "organisations": [],
                                                   "level": levels.get(membership.user_id),
                                                   "is_coordinator": False})
        row["organisations"].append((membership.organisation, membership.get_role_display()))
        if membership.organisation_id == project.coordinator_id:
            row["is_coordinator"] = True
    return sorted(rows.values(), key=lambda r: not r["is_coordinator"])


def set_person_access(project, user, level, by):
    """Grant or change (``"view"``/``"edit"``) or withdraw (``"none"``) the rights of a person who acts
    for a participating organisation; only a coordinator manager may, and never on their own rights."""
    require_manage_people(by, project)
    if level not in (*AccessLevel.values, "none"):
        raise ProjectError(_("Choose no access, view or edit."))
    if user.pk == by.pk:
        raise ProjectError(_("You cannot change your own rights; ask another legal representative or contact "
                             "person of the coordinator."))
    membership = (Membership.objects.filter(organisation_id__in=participating_organisation_ids(project), user=user)
                  .order_by("-organisation_id").first())
    if membership is None:
        raise ProjectError(_("Rights can be given only to people who act for the coordinator or a partner of the "
                             "project."))
    if membership.organisation_id != project.coordinator_id and Membership.objects.filter(
            organisation_id=project.coordinator_id, user=user).exists():
        membership = Membership.objects.get(organisation_id=project.coordinator_id, user=user)
    with acting_as(by), transaction.atomic():
        access = ProjectAccess.objects.select_for_update().filter(project=project, user=user).first()
        if level == "none":
            if access is not None:
                access.delete()
            access = None
        elif access is None:
            access = ProjectAccess(project=project, user=user, level=level, organisation_id=membership.organisation_id)
            access.save(audit_verb="grant-access")
        elif access.level != level:
            access.level = level
            access.save(audit_verb="change-access")
    getattr(project, "_access_cache", {}).pop(user.pk, None)
    return access


def find_organisation(oid):
    from eplus.organisations.models import Organisation

    return Organisation.objects.filter(oid=(oid or "").strip().upper()).first()


def check_partner_change(project, proposed):
    """(action, Organisation) of a requested change of partners, or ProjectError with what to fix."""
    action = (proposed or {}).get("partner_action")
    if action not in ("add", "remove"):
        raise ProjectError(_("Choose whether a partner is added or removed."))
    organisation = find_organisation((proposed or {}).get("partner_oid"))
    if organisation is None:
        raise ProjectError(_("No organisation has this OID; give the OID of the organisation, for example "
                             "E10000001."))
    if organisation.pk == project.coordinator_id:
        raise ProjectError(_("The coordinator cannot be added or removed as a partner."))
    is_partner = project.partners.filter(organisation=organisation, active=True).exists()
    if action == "add" and is_partner:
        raise ProjectError(_("%(name)s is already a partner of the project.") % {"name": organisation.legal_name})
    if action == "remove" and not is_partner:
        raise ProjectError(_("%(name)s is not a partner of the project.") % {"name": organisation.legal_name})
    return action, organisation


def check_budget_split(project, proposed):
    """The new amounts {number: Decimal} of the work packages or activities: every item given, in euros
    to the cent, adding up exactly to the lump sum; ProjectError with what to fix otherwise."""
    amounts = {}
    for item in project.budget_items:
        raw = str((proposed or {}).get(f"amount_{item['number']}", "")).strip()
        try:
            amount = Decimal(raw.replace(",", "."))
        except ArithmeticError:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ProjectError(_("Give the new amount of “%(item)s” in euros, for example 50000.00.") % {
                "item": item.get("title") or item["number"]})
        amounts[item["number"]] = eur(amount)
    if not amounts:
        raise ProjectError(_("The project has no work packages or activities whose budget could be split."))
    total = sum(amounts.values(), Decimal("0.00"))
    if total != project.lump_sum:
        raise ProjectError(_("The new amounts add up to %(total)s but the lump sum is %(lump_sum)s; change them so "
                             "that they add up exactly to the lump sum.") % {
            "total": format_eur(total), "lump_sum": format_eur(project.lump_sum)})
    return amounts


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


def apply_partner_change(project, action, organisation, reason=""):
    """Add (or re-activate) or remove a partner, with the rights of its people: an added partner's legal
    representatives and contact persons get view rights; on removal everyone who acted on the project only
    for that organisation loses their rights."""
    partner = ProjectPartner.objects.filter(project=project, organisation=organisation).first()
    if action == "add":
        if partner is None:
            order = (project.partners.order_by("-order").values_list("order", flat=True).first() or 0) + 1
            ProjectPartner(project=project, organisation=organisation, role="partner", order=order).save(
                audit_verb="amend-partners", audit_reason=reason)
        elif not partner.active:
            partner.active = True
            partner.save(audit_verb="amend-partners", audit_reason=reason)
        existing = set(project.accesses.values_list("user_id", flat=True))
        for membership in _memberships([organisation.pk]).filter(role__in=MANAGER_ROLES):
            if membership.user_id not in existing:
                ProjectAccess(project=project, user=membership.user, level=AccessLevel.VIEW,
                              organisation=organisation).save(audit_verb="amend-partners", audit_reason=reason)
    else:
        partner.active = False
        partner.save(audit_verb="amend-partners", audit_reason=reason)
        staying = set(Membership.objects.filter(organisation_id__in=participating_organisation_ids(project))
                      .values_list("user_id", flat=True))
        leaving = set(Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True))
        for access in project.accesses.filter(user_id__in=leaving - staying):
            access.delete()
        project.__dict__.pop("_access_cache", None)
    refresh_card(project)


def apply_budget_split(project, amounts, reason=""):
    """Set the amounts of the work packages or activities (already checked) and the planned amounts of
    the reports that can still be changed."""
    project.budget_items = [{**item, "amount": str(amounts[item["number"]])} for item in project.budget_items]
    project.save(audit_verb="amend-budget", audit_reason=reason)
    for report in project.reports.filter(status__in=[ReportStatus.DRAFT, ReportStatus.UPDATE_REQUESTED]):
        budget = (report.sections or {}).get("budget")
        if not budget:
            continue
        report.sections = dict(report.sections, budget=[
            {**row, "planned": str(amounts[row["number"]])} if row.get("number") in amounts else row
            for row in budget])
        report.save(audit_verb="amend-budget", audit_reason=reason)


# --- payments as XLSX --------------------------------------------------------------------------

def payments_xlsx(payments):
    """The payments as an XLSX workbook (bytes), written row by row (openpyxl write-only mode); the
    same columns as :func:`payments_csv`, amounts as numbers with two decimals, dates as dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Payments"))
    sheet.append(list(PAYMENT_COLUMNS))
    for p in payments:
        amount = WriteOnlyCell(sheet, value=p.amount)
        amount.number_format = "#,##0.00"
        due = WriteOnlyCell(sheet, value=p.due)
        due.number_format = "yyyy-mm-dd"
        paid_on = WriteOnlyCell(sheet, value=p.paid_on)
        paid_on.number_format = "yyyy-mm-dd"
        sheet.append([p.project.number, p.kind, p.sequence, amount, "yes" if p.at_most else "no", due, p.status,
                      p.status_reason, paid_on])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
