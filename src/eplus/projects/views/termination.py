"""Termination pages: the beneficiary's (request a termination, answer the agency's notice) and the agency's
(send a notice, confirm with or without eligible costs, reject a request or withdraw a notice). The rules are
in :mod:`eplus.projects.termination`; another organisation's or agency's project is a 404, a reader without
the right to act a 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required

from .. import forms, termination
from ..base import ProjectError, today
from . import loaders


def _context(project, **extra):
    current = termination.open_termination(project)
    return {"project": project, "current": current, "history": list(project.terminations.all()),
            "problem": termination.confirmation_problem(current) if current else "", **extra}


def _beneficiary_post(request, project, action):
    """The beneficiary's action: the form to show again with its error, or None when done."""
    if action == "request":
        if not request.user.has_perm("projects.request_termination", project):
            raise PermissionDenied
        form = forms.TerminationRequestForm(request.POST)
        if form.is_valid():
            try:
                termination.request_termination(project, request.user, form.cleaned_data["reason"],
                                                form.cleaned_data["effective_date"])
                messages.success(request, _("Your request has been sent; the agency will accept or reject it."))
                return None
            except ProjectError as exc:
                form.add_error(None, str(exc))
        return {"request_form": form}
    if action == "answer":
        if not request.user.has_perm("projects.answer_termination", project):
            raise PermissionDenied
        current = termination.open_termination(project)
        if current is None:
            raise PermissionDenied
        form = forms.ObservationsForm(request.POST)
        if form.is_valid():
            try:
                termination.answer_notice(current, request.user, form.cleaned_data["observations"],
                                          form.cleaned_data["agrees"])
                messages.success(request, _("Your observations have been sent to the agency."))
                return None
            except ProjectError as exc:
                form.add_error(None, str(exc))
        return {"observations_form": form}
    raise PermissionDenied


@permission_required("projects.view_project", obj=loaders.my_project)
def beneficiary_termination(request, pk):
    project = request.permission_object
    extra = {}
    if request.method == "POST":
        extra = _beneficiary_post(request, project, request.POST.get("action", ""))
        if extra is None:
            return redirect("projects:termination", project.pk)
    extra.setdefault("request_form", forms.TerminationRequestForm(initial={"effective_date": today()}))
    extra.setdefault("observations_form", forms.ObservationsForm())
    return render(request, "projects/termination.html", _context(project, agency=False, **extra))


def _agency_post(request, project, action, notice_form, confirm_form):
    """The agency's action: the message once done, or "" when a form has errors (shown again, bound, with what
    was typed); raises ProjectError when refused."""
    if action == "notice":
        if not notice_form.is_valid():
            return ""
        termination.send_notice(project, request.user, notice_form.cleaned_data["reason"])
        return _("The termination notice has been sent.")
    if action not in ("confirm", "refuse"):
        raise ProjectError(_("Choose an action."))
    current = get_object_or_404(project.terminations, pk=parse_id(request.POST.get("termination")))
    if action == "confirm":
        if not confirm_form.is_valid():
            return ""
        termination.confirm_termination(current, request.user, confirm_form.cleaned_data["outcome"],
                                        confirm_form.cleaned_data["reason"])
        return _("The termination has been confirmed.")
    termination.refuse_termination(current, request.user, request.POST.get("reason", ""))
    return _("The decision has been recorded and sent to the beneficiary.")


@permission_required("projects.manage_project", obj=loaders.agency_project)
def agency_termination(request, pk):
    project = request.permission_object
    action = request.POST.get("action", "") if request.method == "POST" else ""
    # the posted form stays bound after an error, so that nothing the officer typed is lost
    notice_form = forms.TerminationNoticeForm(request.POST if action == "notice" else None)
    confirm_form = forms.ConfirmTerminationForm(request.POST if action == "confirm" else None)
    error = ""
    if request.method == "POST":
        try:
            done = _agency_post(request, project, action, notice_form, confirm_form)
            if done:
                messages.success(request, done)
                return redirect("projects:agency_termination", project.pk)
        except ProjectError as exc:
            error = str(exc)
    bad = bool(error or notice_form.errors or confirm_form.errors)
    return render(request, "projects/termination.html", _context(
        project, agency=True, error=error, notice_form=notice_form, confirm_form=confirm_form,
        refuse_reason=request.POST.get("reason", "") if action == "refuse" else ""), status=400 if bad else 200)
