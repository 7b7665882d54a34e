"""The agency's project pages: the queue of reports, amendments and payments due, a project (mark paid,
decide an amendment; termination and checks have their own pages) and a report (ask for an update, cancel, accept, score, approve). Another
agency's project or report is a 404."""

from django.contrib import messages
from django.db.models import F, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required

from .. import forms, workflow
from ..amendments import decide_amendment
from ..base import ProjectError, today
from ..models import (
    OPEN_TERMINATION_STATUSES, AmendmentStatus, FinalAssessment, PaymentKind, PaymentStatus, ReportKind, ReportStatus,
)
from ..payments import further_prefinancing_verdict, mark_paid
from ..queries import results_submitted, scored_work_packages
from ..recovery import issue_debit_note
from ..reports import section_labels
from ..rules import (
    agency_amendments, agency_checks, agency_payments, agency_projects, agency_reports, agency_terminations,
)
from . import loaders
from .beneficiary import decision, detail_context


@permission_required("projects.view_agency_projects")
def agency_queue(request):
    on = today()
    reports = list(agency_reports(request.user).filter(status=ReportStatus.SUBMITTED)
                   .select_related("project", "project__coordinator", "assessment").order_by("received_on", "pk"))
    for item in reports:
        assessment = getattr(item, "assessment", None) if item.kind == ReportKind.FINAL else None
        item.decision = decision(assessment, on)
    amendments = list(agency_amendments(request.user).filter(status=AmendmentStatus.REQUESTED)
                      .select_related("project"))
    payments = list(agency_payments(request.user).filter(status=PaymentStatus.DUE)
                    .exclude(kind=PaymentKind.RECOVERY).select_related("project")
                    .annotate(offset_total=Sum("offsets__amount"))
                    .order_by(F("due").asc(nulls_last=True), "project__number", "sequence"))
    for payment in payments:  # what is kept back against debit notes is not transferred
        payment.to_transfer = payment.amount - payment.offset_total if payment.offset_total else None
    projects = list(agency_projects(request.user).select_related("coordinator").order_by("end_date", "number"))
    terminations = list(agency_terminations(request.user).filter(status__in=OPEN_TERMINATION_STATUSES)
                        .select_related("project").order_by("created_at"))
    answered_checks = list(agency_checks(request.user).filter(answered_at__isnull=False)
                           .select_related("project").order_by("-answered_at")[:20])
    return render(request, "projects/agency_queue.html", {
        "reports": reports, "amendments": amendments, "payments": payments, "projects": projects,
        "terminations": terminations, "answered_checks": answered_checks})


def _project_action(request, project, action):
    """Do the agency's ``action`` on ``project``; the message for the user."""
    if action == "paid":
        mark_paid(get_object_or_404(project.payments, pk=parse_id(request.POST.get("payment"))), request.user)
        return _("The payment has been marked as paid.")
    if action in ("approve-amendment", "reject-amendment"):
        amendment = get_object_or_404(project.amendments, pk=parse_id(request.POST.get("amendment")))
        decide_amendment(amendment, request.user, approve=action == "approve-amendment",
                         reason=request.POST.get("reason", ""))
        return _("The decision on the amendment has been recorded and sent.")
    if action == "issue-debit-note":
        if issue_debit_note(project, request.user) is None:
            raise ProjectError(_("No recovery is due on this project."))
        return _("The debit note has been issued and sent to the beneficiary.")
    raise ProjectError(_("Choose an action."))


@permission_required("projects.manage_project", obj=loaders.agency_project)
def agency_project(request, pk):
    project = request.permission_object
    error = ""
    if request.method == "POST":
        try:
            messages.success(request, _project_action(request, project, request.POST.get("action", "")))
            return redirect("projects:agency_project", project.pk)
        except ProjectError as exc:
            error = str(exc)
    context = detail_context(project, agency=True)
    context["error"] = error
    return render(request, "projects/detail.html", context)


def _report_action(request, report, action, score_form, reason_form):
    """Do the agency's ``action`` on ``report``: the redirect, or None to show the page again."""
    project = report.project
    if action == "score" and score_form.is_valid():
        overall, wp = score_form.scores()
        workflow.save_assessment(report, request.user, overall_score=overall, wp_scores=wp,
                                 comments=score_form.cleaned_data.get("comments", ""))
        messages.success(request, _("The scores have been saved and the final grant computed."))
        return redirect("projects:agency_report", report.pk)
    if action == "approve":
        workflow.approve_assessment(report, request.user)
        messages.success(request, _("The final report has been approved and the project finalised."))
    elif action == "accept":
        workflow.accept_report(report, request.user)
        messages.success(request, _("The report has been accepted."))
    elif action == "update" and reason_form.is_valid():
        workflow.request_update(report, request.user, reason_form.cleaned_data["reason"],
                                reason_form.document_titles())
        messages.success(request, _("The beneficiary has been asked to update the report."))
    elif action == "cancel" and reason_form.is_valid():
        workflow.cancel_report(report, request.user, reason_form.cleaned_data["reason"])
        messages.success(request, _("The report has been cancelled."))
    else:
        return None
    return redirect("projects:agency_project", project.pk)


def _score_initial(assessment):
    if assessment is None:
        return {}
    initial = {f"wp_{k}": v for k, v in assessment.wp_scores.items()}
    initial.update(overall_score=assessment.overall_score, comments=assessment.comments)
    return initial


@permission_required("projects.assess_report", obj=loaders.agency_report)
def agency_report(request, report_pk):
    report = request.permission_object
    project = report.project
    assessment = FinalAssessment.objects.filter(report=report).first()
    work_packages = [i for i in project.budget_items if i["number"] in scored_work_packages(project)]
    action = request.POST.get("action", "") if request.method == "POST" else ""
    score_form = forms.AssessmentForm(request.POST if action == "score" else None, initial=_score_initial(assessment),
                                      work_packages=work_packages)
    reason_form = forms.ReasonForm(request.POST if action in ("update", "cancel") else None)
    error = ""
    if request.method == "POST":
        try:
            done = _report_action(request, report, action, score_form, reason_form)
            if done is not None:
                return done
        except ProjectError as exc:
            error = str(exc)
        assessment = FinalAssessment.objects.filter(report=report).first()
    further = None
    if report.kind == ReportKind.INTERIM and report.prefinancing_used is not None:
        further = further_prefinancing_verdict(project, report.prefinancing_used)
    return render(request, "projects/agency_report.html", {
        "project": project, "report": report, "assessment": assessment, "score_form": score_form,
        "reason_form": reason_form, "error": error, "labels": section_labels(),
        "versions": report.versions.all(), "documents": report.documents.all(), "further": further,
        "decision": decision(assessment, today()), "results_submitted": results_submitted(project)})
