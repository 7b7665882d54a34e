"""Checks, monitoring visits and audits: the agency's list and form (record, change, share), the beneficiary's
list of what was shared with it (and its answer to the findings), and the report file. The rules are in
:mod:`eplus.projects.monitoring`; a check the user may not see is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.files import file_response
from eplus.core.input import parse_id
from eplus.core.permissions import permission_required

from .. import claims, forms, monitoring
from ..base import ProjectError
from ..rules import beneficiary_checks
from . import loaders


def _initial(check):
    if check is None:
        return {}
    return {"kind": check.kind, "status": check.status, "planned_on": check.planned_on, "done_on": check.done_on,
            "findings": check.findings, "proposed_action": check.proposed_action,
            "proposed_amount": check.proposed_amount}


def _save(request, project, check):
    """Save the posted check; the form (with its errors) to show again, or None when saved."""
    form = forms.CheckForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            monitoring.save_check(project, request.user, form.data_for_domain(), check=check,
                                  report_file=form.cleaned_data.get("report_file"))
            messages.success(request, _("The check has been saved."))
            return None
        except ValidationError as exc:
            form.add_error("report_file", exc.messages[0])
        except ProjectError as exc:
            form.add_error(None, str(exc))
    return form


@permission_required("projects.manage_checks", obj=loaders.agency_project)
def agency_checks(request, pk):
    project = request.permission_object
    form = forms.CheckForm()
    if request.method == "POST":
        form = _save(request, project, None)
        if form is None:
            return redirect("projects:agency_checks", project.pk)
    return render(request, "projects/checks.html", {
        "project": project, "agency": True, "checks": list(project.checks.all()), "form": form})


@permission_required("projects.manage_checks", obj=loaders.agency_project)
def agency_check(request, pk, check_pk):
    project = request.permission_object
    check = get_object_or_404(project.checks, pk=check_pk)
    form = forms.CheckForm(initial=_initial(check))
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "share":
            try:
                monitoring.share_check(check, request.user)
                messages.success(request, _("The check has been shared with the beneficiary."))
                return redirect("projects:agency_check", project.pk, check.pk)
            except ProjectError as exc:
                error = str(exc)
        elif request.POST.get("action") == "apply":
            try:
                claims.apply_finding(check, request.user)
                messages.success(request, _("The decision is reopened with the finding's amount taken off the "
                                            "grant: confirm the scores and approve the new assessment."))
                return redirect("projects:agency_claims", project.pk)
            except ProjectError as exc:
                error = str(exc)
        else:
            form = _save(request, project, check)
            if form is None:
                return redirect("projects:agency_check", project.pk, check.pk)
    return render(request, "projects/check.html", {"project": project, "check": check, "form": form,
                                                   "error": error, "apply_problem": claims.finding_problem(check)},
                  status=400 if error else 200)


def _answer_id(check):
    """The ids of a check's answer form ("answer-<pk>-answer"): one form per check on the page, each its own."""
    return f"answer-{check.pk}-%s"


@permission_required("projects.view_checks", obj=loaders.my_project)
def beneficiary_checks_page(request, pk):
    project = request.permission_object
    checks = list(beneficiary_checks(project))
    forms_by_check = {}
    if request.method == "POST":
        if not request.user.has_perm("projects.answer_check", project):
            raise PermissionDenied
        check = get_object_or_404(beneficiary_checks(project), pk=parse_id(request.POST.get("check")))
        form = forms.CheckAnswerForm(request.POST, auto_id=_answer_id(check))
        if form.is_valid():
            try:
                monitoring.answer_check(check, request.user, form.cleaned_data["answer"])
                messages.success(request, _("Your answer has been sent to the agency."))
                return redirect("projects:checks", project.pk)
            except ProjectError as exc:
                form.add_error(None, str(exc))
        forms_by_check[check.pk] = form
    for check in checks:
        check.answer_form = forms_by_check.get(check.pk) or forms.CheckAnswerForm(auto_id=_answer_id(check))
    return render(request, "projects/checks.html", {"project": project, "agency": False, "checks": checks})


@permission_required("projects.view_documents", obj=loaders.documents_project)
def check_report(request, pk, check_pk):
    """A check's report file: the agency's staff, or the beneficiary once the check is shared with it."""
    project = request.permission_object
    if request.user.has_perm("projects.manage_checks", project):
        checks = project.checks.all()
    else:
        checks = beneficiary_checks(project)
    check = get_object_or_404(checks.exclude(report_file=""), pk=check_pk)
    return file_response(check.report_file, filename=check.report_name, content_type=check.report_type or None)
