"""Reports of a project: what a new report starts from (the application as submitted, then the latest
earlier report), saving drafts, the signed declaration on honour, what must be put right before
submission, the immutable version kept at each submission and the final assessment's figures.
Submission and the agency's decisions are transitions in :mod:`eplus.projects.workflow`."""

import dataclasses
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eplus.core.audit import acting_as
from eplus.core.files import DOCUMENT, UploadPolicy, check_upload, stored_upload
from eplus.core.money import eur

from . import figures, finance
from .base import ProjectError
from .models import TERMINATED_STATUSES, ProjectStatus, Report, ReportDocument, ReportKind, ReportStatus, ReportVersion
from .queries import application_snapshot, paid_total, scored_work_packages

TEXT_SECTIONS = ("activities", "participants", "results", "impact", "dissemination")


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


def _require_editable_report(user, report):
    if not user.has_perm("projects.change_project", report.project):
        raise PermissionDenied(_("You can only view this project; ask the coordinator for edit rights."))
    if not report.is_editable:
        raise ProjectError(_("This report has been submitted and is locked; it can be changed only if the agency "
                             "asks for an update."))
    if report.project.status in TERMINATED_STATUSES and not (
            report.project.status == ProjectStatus.TERMINATED_WITH_COSTS and report.kind == ReportKind.FINAL):
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


DECLARATION = UploadPolicy(DOCUMENT.kinds, DOCUMENT.max_bytes, gettext_lazy(
    "%(name)s is not a PDF, PNG or JPEG file; attach the signed declaration on honour as one of those."))


def attach_declaration(report, uploaded, user):
    _require_editable_report(user, report)
    checked = check_upload(uploaded, uploaded.name, DECLARATION)
    with stored_upload(uploaded, checked, f"projects/{report.project_id}/reports/{report.pk}") as stored, \
            acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.declaration_sha256 = checked.sha256
        report.declaration_type = checked.content_type
        report.declaration_name = checked.download_name
        report.declaration.name = stored.name
        report.save(audit_verb="attach-declaration")
    return report


def attach_document(report, title, uploaded, user):
    """Attach a document the agency asked for (one of ``report.requested_documents``) to the report sent back;
    a second file for the same title in the same round replaces the first one in the round's list."""
    _require_editable_report(user, report)
    if title not in (report.requested_documents or []):
        raise ProjectError(_("The agency did not ask for this document."))
    checked = check_upload(uploaded, uploaded.name, DECLARATION)
    with stored_upload(uploaded, checked, f"projects/{report.project_id}/reports/{report.pk}/documents") as stored, \
            acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        document = ReportDocument(report=report, title=title, name=checked.download_name, sha256=checked.sha256,
                                  content_type=checked.content_type, report_version=report.version,
                                  uploaded_by=user)
        document.file.name = stored.name
        document.save(audit_verb="attach-report-document")
    return document


def missing_documents(report):
    """The titles the agency asked for that have no file attached since the report was sent back."""
    attached = set(report.documents.filter(report_version=report.version).values_list("title", flat=True))
    return [title for title in report.requested_documents or [] if title not in attached]


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
    elif report.status == ReportStatus.UPDATE_REQUESTED and _declaration_of_last_version(report) == \
            report.declaration_sha256:
        problems.append(_("Attach a new declaration on honour, signed after the agency's request: the one of "
                          "the earlier version covers only what was submitted then."))
    if report.status == ReportStatus.UPDATE_REQUESTED:
        for title in missing_documents(report):
            problems.append(_("Attach “%(document)s”: the agency asked for it.") % {"document": title})
    return problems


def _declaration_of_last_version(report):
    """The hash of the declaration the last submitted version came with ("" when none was submitted)."""
    last = report.versions.order_by("-number").values_list("declaration_sha256", flat=True).first()
    return last or ""


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
        declaration_sha256=report.declaration_sha256, declaration_file=report.declaration.name,
        declaration_type=report.declaration_type, sha256=hashlib.sha256(canonical_json(payload).encode()).hexdigest())


def compute_assessment(project, *, overall_score=None, wp_scores=None, adjustment=0):
    """(FinalGrant, Balance) for the scores given, with the call's reduction bands, less ``adjustment`` (a
    reduction a check's or audit's finding made: FinalAssessment.adjustment; the grant never below 0)."""
    bands = figures.reduction_bands(project.call)
    numbers = scored_work_packages(project)
    if numbers:
        amounts = {i["number"]: i["amount"] for i in project.budget_items}
        grant = finance.final_grant_by_work_packages(amounts, {int(k): v for k, v in (wp_scores or {}).items()}, bands)
    else:
        grant = finance.final_grant(project.lump_sum, overall_score, bands)
    adjustment = eur(adjustment or 0)
    if adjustment:
        amount = max(grant.amount - adjustment, eur(0))
        reduction = grant.lump_sum - amount
        grant = dataclasses.replace(grant, amount=amount, reduction=reduction, reduction_percent=(
            reduction / grant.lump_sum * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return grant, finance.balance(grant, paid_total(project))


def set_figures(assessment, grant, bal):
    """Write a computed (FinalGrant, Balance) onto ``assessment`` (not saved)."""
    assessment.reduction_percent, assessment.reduction = grant.reduction_percent, grant.reduction
    assessment.final_grant, assessment.paid, assessment.balance = grant.amount, bal.paid, bal.amount


def recompute(assessment, project):
    """Compute ``assessment``'s figures again from its own scores and finding adjustment, with the payments as
    they are now (exact to the cent), and write them onto it (not saved); (FinalGrant, Balance)."""
    grant, bal = compute_assessment(
        project, overall_score=assessment.overall_score,
        wp_scores={int(k): v for k, v in assessment.wp_scores.items()} or None, adjustment=assessment.adjustment)
    set_figures(assessment, grant, bal)
    return grant, bal
