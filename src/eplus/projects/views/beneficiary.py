"""The beneficiary's pages: my projects, a project, a report, an amendment request, people and rights.
Thin: find the object in the rules queryset, check the declared permission, call a domain function,
render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.accounts.decorators import sensitive_action
from eplus.core.permissions import permission_required

from .. import finance, forms, reports, workflow
from ..amendments import request_amendment
from ..base import ProjectError, today
from ..models import (
    CLOSED_STATUSES,
    CalendarToken,
    DossierAudience,
    FinalAssessment,
    ProjectAccess,
    ProjectDossier,
)
from ..people import set_person_access
from ..queries import active_partners, people_and_rights, project_locked, project_notes, results_submitted
from ..rules import beneficiary_checks, visible_projects
from ..termination import open_termination
from .loaders import my_project


def decision(assessment, on):
    """The agency's decision deadline on a final report and whether it is overdue on ``on``."""
    if assessment is None:
        return None
    return {"due": assessment.decision_due,
            "overdue": assessment.status != "approved" and finance.is_overdue(assessment.decision_due, on)}


def detail_context(project, agency):
    assessment = FinalAssessment.objects.filter(project=project).first()
    return {
        "project": project, "agency": agency, "reports": list(project.reports.order_by("due", "sequence")),
        "payments": list(project.payments.select_related("debit_note")),
        "debit_notes": list(project_notes(project)),
        "amendments": list(project.amendments.select_related("requested_by")),
        "accesses": list(project.accesses.select_related("user", "organisation")),
        "partners": active_partners(project), "locked": project_locked(project),
        "assessment": assessment, "decision": decision(assessment, today()),
        "results_submitted": results_submitted(project),
        "dossier": ProjectDossier.objects.filter(
            project=project, audience=DossierAudience.AGENCY if agency else DossierAudience.BENEFICIARY).first(),
        "amendment_form": forms.AmendmentForm(), "reason_form": forms.ReasonForm(),
        "closed": project.status in CLOSED_STATUSES,
        "open_termination": open_termination(project),
        "checks_to_answer": beneficiary_checks(project).filter(answer_due__isnull=False,
                                                               answered_at__isnull=True).count(),
    }


@permission_required("projects.list_projects")
def mine(request):
    projects = (visible_projects(request.user).select_related("coordinator")
                .prefetch_related(Prefetch("accesses", queryset=ProjectAccess.objects.filter(user=request.user),
                                           to_attr="my_access"))
                .order_by("end_date", "number"))
    token = CalendarToken.objects.filter(user=request.user).first()
    return render(request, "projects/mine.html", {"projects": projects, "token": token})


@permission_required("projects.view_project", obj=my_project)
def detail(request, pk):
    return render(request, "projects/detail.html", detail_context(request.permission_object, agency=False))


@permission_required("projects.view_project", obj=my_project)
def report(request, pk, report_pk):
    """A report: everyone with rights reads it; editors fill it in, save it and submit it (a 403 for others)."""
    project = request.permission_object
    report = get_object_or_404(project.reports, pk=report_pk)
    can_edit = request.user.has_perm("projects.edit_report", report)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("You cannot change this report."))
    reports.report_sections(report)
    if request.method == "POST":
        return _report_post(request, project, report)
    form = forms.ReportForm(initial=forms.ReportForm.initial_for(report), report=report)
    problems = reports.submission_problems(report) if can_edit else []
    return _report_page(request, project, report, form, problems, can_edit)


def _report_page(request, project, report, form, problems, can_edit=True):
    return render(request, "projects/report.html", {
        "project": project, "report": report, "form": form, "can_edit": can_edit, "problems": problems,
        "versions": report.versions.all(), "labels": reports.section_labels(),
        "documents": report.documents.all()})


def _report_post(request, project, report):
    form = forms.ReportForm(request.POST, request.FILES, report=report)
    problems = []
    if form.is_valid():
        try:
            report = reports.save_report(report, request.user, language=form.cleaned_data["language"],
                                         sections=form.sections(),
                                         prefinancing_used=form.cleaned_data.get("prefinancing_used"))
            if form.cleaned_data.get("declaration"):
                report = reports.attach_declaration(report, form.cleaned_data["declaration"], request.user)
            refused = False
            for name, title in form.document_names:
                if form.cleaned_data.get(name):
                    try:
                        reports.attach_document(report, title, form.cleaned_data[name], request.user)
                    except ValidationError as exc:  # the sections are saved; the file is named as refused
                        form.add_error(name, exc.messages[0])
                        refused = True
            if refused:
                return _report_page(request, project, report, form, reports.submission_problems(report))
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
        except ProjectError as exc:
            form.add_error(None, str(exc))
    return _report_page(request, project, report, form, problems)


@permission_required("projects.request_amendment", obj=my_project, denied=PermissionDenied)
def amendment_new(request, pk):
    project = request.permission_object
    form = forms.AmendmentForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            request_amendment(project, request.user, kind=data["kind"], description=data["description"],
                              proposed=form.proposed())
            messages.success(request, _("The amendment has been requested; the agency will approve or reject it."))
            return redirect("projects:detail", project.pk)
        except ProjectError as exc:
            form.add_error(None, str(exc))
    return render(request, "projects/amendment.html", {"project": project, "form": form})


@permission_required("projects.manage_people", obj=my_project)
def people(request, pk):
    """People and rights: the coordinator's legal representatives and contact persons (with edit rights)
    see who may view or edit the project and grant or change the rights of the people acting for the
    participating organisations. Anyone else gets a 404; the change asks for a recent re-authentication."""
    project = request.permission_object
    if request.method == "POST":
        return _people_post(request, project)
    rows = people_and_rights(project)
    return _people_page(request, project, rows, forms.PeopleForm(rows=rows, me=request.user))


def _people_page(request, project, rows, form, status=200):
    return render(request, "projects/people.html", {
        "project": project, "rows": rows, "form": form, "me": request.user,
        "partners": active_partners(project)}, status=status)


@sensitive_action
def _people_post(request, project):
    rows = people_and_rights(project)
    form = forms.PeopleForm(request.POST, rows=rows, me=request.user)
    if form.is_valid():
        try:
            changes = form.changes()
            for user, level in changes:
                set_person_access(project, user, level, request.user)
        except ProjectError as exc:
            form.add_error(None, str(exc))
        else:
            if changes:
                messages.success(request, _("The rights have been changed."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("projects:people", project.pk)
    return _people_page(request, project, rows, form)
