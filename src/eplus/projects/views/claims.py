"""The final decision and its claims: the beneficiary files a claim within the call's period; the agency
accepts or rejects it, or reopens the decision itself. Every decision stays readable. The rules are in
:mod:`eplus.projects.claims`; another organisation's or agency's project is a 404, a reader without the
right to act a 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required

from .. import claims, forms
from ..base import ProjectError
from . import loaders


def _context(request, project, agency, **extra):
    decision = claims.current_decision(project)
    return {"project": project, "agency": agency, "decision": decision, "decisions": claims.decisions(project),
            "claims": list(project.claims.select_related("claim_report", "filed_by", "decided_by")),
            "deadline": claims.claim_deadline(project, decision) if decision else None,
            "claim_problem": claims.claim_problem(project), **extra}


@permission_required("projects.view_project", obj=loaders.my_project)
def beneficiary_claims(request, pk):
    project = request.permission_object
    form = forms.ClaimForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("projects.file_claim", project):
            raise PermissionDenied
        if form.is_valid():
            try:
                claims.file_claim(project, request.user, form.cleaned_data["reason"])
            except ProjectError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your claim has been sent to the agency."))
                return redirect("projects:claims", project.pk)
    status = 400 if form.is_bound else 200
    return render(request, "projects/claims.html", _context(request, project, False, claim_form=form), status=status)


@permission_required("projects.decide_claim", obj=loaders.agency_project)
def agency_claims(request, pk):
    project = request.permission_object
    decide_form, reopen_form, error, failed_claim = forms.ClaimDecisionForm(), forms.ReopenDecisionForm(), "", None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "reopen":
                reopen_form = forms.ReopenDecisionForm(request.POST)
                if not reopen_form.is_valid():
                    raise ProjectError(_("Give the reason for reopening the decision; it is sent to the beneficiary."))
                claims.reopen_decision(project, request.user, reopen_form.cleaned_data["reason"])
                done = _("The decision is reopened: assess the new version of the final report.")
            elif action in ("accept", "reject"):
                claim = get_object_or_404(project.claims, pk=parse_id(request.POST.get("claim")))
                decide_form, failed_claim = forms.ClaimDecisionForm(request.POST), claim.pk
                reason = decide_form.cleaned_data["reason"] if decide_form.is_valid() else ""
                if action == "accept":
                    claims.accept_claim(claim, request.user, reason)
                    done = _("The claim is accepted: the beneficiary can now correct and resubmit the final report.")
                else:
                    claims.reject_claim(claim, request.user, reason)
                    done = _("The claim is rejected; the beneficiary has been told why.")
            else:
                raise ProjectError(_("Choose an action."))
        except ProjectError as exc:
            error = str(exc)
        else:
            messages.success(request, done)
            return redirect("projects:agency_claims", project.pk)
    return render(request, "projects/claims.html", _context(
        request, project, True, error=error, decide_form=decide_form, reopen_form=reopen_form,
        failed_claim=failed_claim), status=400 if error else 200)
