"""Pages of the beneficiary module and the agency's project pages. Thin: parse, check, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.accounts.decorators import sensitive_action
from eplus.programme.scoping import is_agency_staff

from . import finance, forms, services, workflow
from .models import (
    Amendment, AmendmentStatus, CalendarToken, FinalAssessment, Payment, PaymentStatus, ProjectAccess, ReportKind,
    ReportStatus,
)
from .rules import agency_projects, agency_reports, visible_projects


def _mine(request, pk):
    project = get_object_or_404(visible_projects(request.user).select_related(
        "coordinator", "call", "agency", "application"), pk=pk)
    project._access_cache = {request.user.pk: services.access_level(request.user, project)}
    return project


def _mine_or_agency(request, pk):
    project = visible_projects(request.user).filter(pk=pk).first() or \
        agency_projects(request.user).filter(pk=pk).first()
    if project is None:
        raise Http404
    return project


def _decision(assessment, today):
    if assessment is None:
        return None
    return {"due": assessment.decision_due,
            "overdue": assessment.status != "approved" and finance.is_overdue(assessment.decision_due, today)}


@login_required
def mine(request):
    projects = (visible_projects(request.user).select_related("coordinator")
                .prefetch_related(Prefetch("accesses", queryset=ProjectAccess.objects.filter(user=request.user),
                                           to_attr="my_access"))
                .order_by("end_date", "number"))
    token = CalendarToken.objects.filter(user=request.user).first()
    return render(request, "projects/mine.html", {"projects": projects, "token": token})


@login_required
def detail(request, pk):
    project = _mine(request, pk)
    return render(request, "projects/detail.html", _detail_context(request, project, agency=False))


def _detail_context(request, project, agency):
    reports = list(project.reports.order_by("due", "sequence"))
    assessment = FinalAssessment.objects.filter(project=project).first()
    return {
        "project": project, "agency": agency, "reports": reports,
        "payments": list(project.payments.all()),
        "amendments": list(project.amendments.select_related("requested_by")),
        "accesses": list(project.accesses.select_related("user", "organisation")),
        "can_edit": not agency and services.can_edit(request.user, project),
        "can_manage_people": not agency and services.can_manage_people(request.user, project),
        "partners": services.active_partners(project),
        "locked": services.project_locked(project),
        "assessment": assessment, "decision": _decision(assessment, services.today()),
        "results_submitted": services.results_submitted(project),
        "amendment_form": forms.AmendmentForm(), "reason_form": forms.ReasonForm(),
    }


@login_required
def report(request, pk, report_pk):
    project = _mine(request, pk)
    report = get_object_or_404(project.reports, pk=report_pk)
    can_edit = services.can_edit(request.user, project) and report.is_editable
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("You cannot change this report."))
    services.report_sections(report)
    problems = []
    if request.method == "POST":
        form = forms.ReportForm(request.POST, request.FILES, report=report)
        if form.is_valid():
            try:
                report = services.save_report(report, request.user, language=form.cleaned_data["language"],
                                              sections=form.sections(),
                                              prefinancing_used=form.cleaned_data.get("prefinancing_used"))
                if form.cleaned_data.get("declaration"):
                    report = services.attach_declaration(report, form.cleaned_data["declaration"], request.user)
                if request.POST.get("action") == "submit":
                    workflow.submit_report(report, request.user)
                    messages.success(request, _("The report has been submitted. The project data are locked until "
                                                "the agency decides on it."))
                    return redirect("projects:detail", project.pk)
                messages.success(request, _("The report has been saved."))
                return redirect("projects:report", project.pk, report.pk)
            except ValidationError as exc:
                form.add_error("declaration", exc.messages[0])
            except workflow.NotReady as exc:
                problems = exc.problems
                messages.error(request, str(exc))
            except services.ProjectError as exc:
                form.add_error(None, str(exc))
    else:
        form = forms.ReportForm(initial=forms.ReportForm.initial_for(report), report=report)
        if can_edit:
            problems = services.submission_problems(report)
    return render(request, "projects/report.html", {
        "project": project, "report": report, "form": form, "can_edit": can_edit, "problems": problems,
        "versions": report.versions.all(), "labels": services.section_labels()})


@login_required
def report_declaration(request, pk, report_pk):
    project = _mine_or_agency(request, pk)
    report = get_object_or_404(project.reports, pk=report_pk)
    if not report.declaration:
        raise Http404
    return FileResponse(report.declaration.open("rb"), as_attachment=True, filename=report.declaration_name,
                        content_type=report.declaration_type or "application/octet-stream")


@login_required
def amendment_new(request, pk):
    project = _mine(request, pk)
    if not services.can_edit(request.user, project):
        raise PermissionDenied
    form = forms.AmendmentForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposed = form.proposed()
        try:
            workflow.request_amendment(project, request.user, kind=data["kind"], description=data["description"],
                                       proposed=proposed)
            messages.success(request, _("The amendment has been requested; the agency will approve or reject it."))
            return redirect("projects:detail", project.pk)
        except services.ProjectError as exc:
            form.add_error(None, str(exc))
    return render(request, "projects/amendment.html", {"project": project, "form": form})


@login_required
def payment_letter(request, pk, payment_pk):
    project = _mine_or_agency(request, pk)
    payment = get_object_or_404(project.payments, pk=payment_pk)
    if payment.status not in (PaymentStatus.DUE, PaymentStatus.PAID):
        raise Http404
    response = HttpResponse(services.payment_letter_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{project.number}-{payment.kind}.pdf"'
    return response


def _csv(text, name):
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def payments_export(request, pk):
    project = _mine_or_agency(request, pk)
    return _csv(services.payments_csv(project.payments.select_related("project")), f"{project.number}-payments.csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data, name):
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def payments_export_xlsx(request, pk):
    project = _mine_or_agency(request, pk)
    return _xlsx(services.payments_xlsx(project.payments.select_related("project")),
                 f"{project.number}-payments.xlsx")


@login_required
def people(request, pk):
    """People and rights: the coordinator's legal representatives and contact persons (with edit rights)
    see who may view or edit the project and grant or change the rights of the people acting for the
    participating organisations. Anyone else gets a 404; the change asks for a recent re-authentication."""
    project = _mine(request, pk)
    if not services.can_manage_people(request.user, project):
        raise Http404
    if request.method == "POST":
        return _people_post(request, project)
    rows = services.people_and_rights(project)
    return _people_page(request, project, rows, forms.PeopleForm(rows=rows, me=request.user))


def _people_page(request, project, rows, form, status=200):
    return render(request, "projects/people.html", {
        "project": project, "rows": rows, "form": form, "me": request.user,
        "partners": services.active_partners(project)}, status=status)


@sensitive_action
def _people_post(request, project):
    rows = services.people_and_rights(project)
    form = forms.PeopleForm(request.POST, rows=rows, me=request.user)
    if form.is_valid():
        try:
            changes = form.changes()
            for user, level in changes:
                services.set_person_access(project, user, level, request.user)
        except services.ProjectError as exc:
            form.add_error(None, str(exc))
        else:
            if changes:
                messages.success(request, _("The rights have been changed."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("projects:people", project.pk)
    return _people_page(request, project, rows, form)


@login_required
def dossier(request, pk):
    """The auditors' ZIP: for editors and the agency; asks for a recent re-authentication first."""
    project = _mine_or_agency(request, pk)
    if not (services.can_edit(request.user, project) or agency_projects(request.user).filter(pk=pk).exists()):
        raise Http404
    return _dossier_download(request, project)


@sensitive_action
def _dossier_download(request, project):
    return FileResponse(services.dossier_zip(project), as_attachment=True, filename=f"{project.number}-dossier.zip",
                        content_type="application/zip")


@login_required
def calendar(request):
    if request.method == "POST":
        CalendarToken.objects.filter(user=request.user).delete()
        services.calendar_token(request.user)
        messages.success(request, _("Your calendar address has been created; any earlier address no longer works."))
    return redirect("projects:mine")


def ical(request, token):
    entry = CalendarToken.objects.filter(token=token).select_related("user").first()
    if entry is None or not entry.user.is_active:
        raise Http404
    projects = visible_projects(entry.user).prefetch_related("reports")
    response = HttpResponse(services.ical_feed(entry.user, projects), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response


# --- agency ------------------------------------------------------------------------------------

def _agency_only(request):
    if not is_agency_staff(request.user):
        raise Http404


@login_required
def agency_queue(request):
    _agency_only(request)
    today = services.today()
    reports = list(agency_reports(request.user).filter(status=ReportStatus.SUBMITTED)
                   .select_related("project", "project__coordinator", "assessment").order_by("received_on", "pk"))
    for item in reports:
        assessment = getattr(item, "assessment", None) if item.kind == ReportKind.FINAL else None
        item.decision = _decision(assessment, today)
    amendments = list(Amendment.objects.filter(project__in=agency_projects(request.user),
                                               status=AmendmentStatus.REQUESTED).select_related("project"))
    projects = list(agency_projects(request.user).select_related("coordinator").order_by("end_date", "number"))
    return render(request, "projects/agency_queue.html", {
        "reports": reports, "amendments": amendments, "projects": projects})


@login_required
def agency_project(request, pk):
    _agency_only(request)
    project = get_object_or_404(agency_projects(request.user).select_related("coordinator", "call", "agency"), pk=pk)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "paid":
                payment = get_object_or_404(project.payments, pk=request.POST.get("payment"))
                services.mark_paid(payment, request.user)
                messages.success(request, _("The payment has been marked as paid."))
            elif action in ("approve-amendment", "reject-amendment"):
                amendment = get_object_or_404(project.amendments, pk=request.POST.get("amendment"))
                workflow.decide_amendment(amendment, request.user, approve=action == "approve-amendment",
                                          reason=request.POST.get("reason", ""))
                messages.success(request, _("The decision on the amendment has been recorded and sent."))
            elif action == "terminate":
                workflow.terminate_project(project, request.user, request.POST.get("reason", ""))
                messages.success(request, _("The project has been terminated."))
            else:
                raise services.ProjectError(_("Choose an action."))
            return redirect("projects:agency_project", project.pk)
        except services.ProjectError as exc:
            error = str(exc)
    context = _detail_context(request, project, agency=True)
    context["error"] = error
    return render(request, "projects/detail.html", context)


@login_required
def agency_report(request, report_pk):
    _agency_only(request)
    report = get_object_or_404(agency_reports(request.user).select_related("project", "project__call"), pk=report_pk)
    project = report.project
    assessment = FinalAssessment.objects.filter(report=report).first()
    work_packages = [i for i in project.budget_items if i["number"] in services.scored_work_packages(project)]
    initial = {}
    if assessment is not None:
        initial = {f"wp_{k}": v for k, v in assessment.wp_scores.items()}
        initial.update(overall_score=assessment.overall_score, comments=assessment.comments)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    score_form = forms.AssessmentForm(request.POST if action == "score" else None, initial=initial,
                                      work_packages=work_packages)
    reason_form = forms.ReasonForm(request.POST if action in ("update", "cancel") else None)
    error = ""
    if request.method == "POST":
        try:
            if action == "score" and score_form.is_valid():
                overall, wp = score_form.scores()
                workflow.save_assessment(report, request.user, overall_score=overall, wp_scores=wp,
                                         comments=score_form.cleaned_data.get("comments", ""))
                messages.success(request, _("The scores have been saved and the final grant computed."))
                return redirect("projects:agency_report", report.pk)
            if action == "approve":
                workflow.approve_assessment(report, request.user)
                messages.success(request, _("The final report has been approved and the project finalised."))
                return redirect("projects:agency_project", project.pk)
            if action == "accept":
                workflow.accept_report(report, request.user)
                messages.success(request, _("The report has been accepted."))
                return redirect("projects:agency_project", project.pk)
            if action in ("update", "cancel") and reason_form.is_valid():
                if action == "update":
                    workflow.request_update(report, request.user, reason_form.cleaned_data["reason"])
                    messages.success(request, _("The beneficiary has been asked to update the report."))
                else:
                    workflow.cancel_report(report, request.user, reason_form.cleaned_data["reason"])
                    messages.success(request, _("The report has been cancelled."))
                return redirect("projects:agency_project", project.pk)
        except services.ProjectError as exc:
            error = str(exc)
        assessment = FinalAssessment.objects.filter(report=report).first()
    further = None
    if report.kind == ReportKind.INTERIM and report.prefinancing_used is not None:
        first = project.payments.filter(kind="prefinancing").first()
        if first is not None:
            further = finance.further_prefinancing_allowed(first.amount, report.prefinancing_used)
    return render(request, "projects/agency_report.html", {
        "project": project, "report": report, "assessment": assessment, "score_form": score_form,
        "reason_form": reason_form, "error": error, "labels": services.section_labels(),
        "versions": report.versions.all(), "further": further,
        "decision": _decision(assessment, services.today()),
        "results_submitted": services.results_submitted(project)})


@login_required
def agency_payments_export(request):
    _agency_only(request)
    payments = Payment.objects.filter(project__in=agency_projects(request.user)).select_related("project")
    return _csv(services.payments_csv(payments.order_by("project__number", "sequence")), "payments.csv")


@login_required
def agency_payments_export_xlsx(request):
    _agency_only(request)
    payments = Payment.objects.filter(project__in=agency_projects(request.user)).select_related("project")
    return _xlsx(services.payments_xlsx(payments.order_by("project__number", "sequence")), "payments.xlsx")
