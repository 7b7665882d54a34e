"""One case: its page (the stored eligibility verdict, experts, assessments, findings, the agreement), the
formal check (with the explicit re-run of the engine), expert assignment and the countersignature."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.applications.reading import read_submission
from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import forms as F
from ..agreements import countersign as countersign_agreement
from ..assessments import assessments_of
from ..decisions import reduce_grant
from ..checks import confirm_formal_check, formal_check_open, rerun_eligibility
from ..experts import assign as assign_expert
from ..experts import may_unassign
from ..experts import unassign as unassign_expert
from ..figures import criteria
from ..models import AssignmentRole, CaseState, ExpertProfile, GrantAgreement
from ..rules import officer_cases, officer_findings
from ..timing import case_wait_reason
from ..workflow import EvaluationError, TransitionRefused


def case_for(request, pk, **_kwargs):
    return get_object_or_404(officer_cases(request.user).select_related(
        "application", "application__applicant", "application__action", "call__action",
        "agency", "submission__application__call__action"), pk=pk)


def _experts(case):
    """The experts the officer may still choose for the case: none already assessing it (a consolidating expert
    may be one of the two, as lead expert, but not the one already consolidating)."""
    taken = [AssignmentRole.CONSOLIDATOR] if case.state == CaseState.CONSOLIDATION else [
        AssignmentRole.FIRST, AssignmentRole.SECOND]
    return (ExpertProfile.objects.filter(agency=case.agency, active=True).select_related("user")
            .exclude(user__assignments__case=case, user__assignments__role__in=taken))


def _formal_check(case, form=None):
    """What the formal-check card (evaluation/_formal_check.html) needs, on the case page and the reading view."""
    return {"verdict": case.formal_verdict or None, "formal_form": form or F.FormalCheckForm(),
            "formal_open": formal_check_open(case), "wait_reason": case_wait_reason(case)}


def _context(request, case, **forms):
    assignments = list(case.assignments.select_related("expert", "assessment"))
    return {
        "case": case, "application": case.application,
        "assignments": assignments,
        "assessments": assessments_of(case),
        "criteria": criteria(case.call),
        "reduce_form": forms.get("reduce_form") or F.ReduceGrantForm(),
        "assign_form": forms.get("assign_form") or F.AssignForm(experts=_experts(case)),
        "findings": officer_findings(request.user).filter(Q(case_a=case) | Q(case_b=case)),
        "agreement": GrantAgreement.objects.filter(case=case).first(),
        "roles": AssignmentRole,
        **_formal_check(case, forms.get("formal_form")),
        "removable": {a.pk for a in assignments if may_unassign(case, a)},
    }


@permission_required("evaluation.manage_case", obj=case_for)
def case_detail(request, pk):
    return render(request, "evaluation/case.html", _context(request, request.permission_object))


@permission_required("evaluation.manage_case", obj=case_for)
def case_application(request, pk):
    """The submission that counts for the case, to read (each answer under its label, annexes to open)."""
    case = request.permission_object
    if case.submission is None:
        raise Http404
    return render(request, "evaluation/case_application.html", {
        "case": case, "reading": read_submission(case.submission), **_formal_check(case)})


def submitted_annex(submission, annex_pk):
    """The stored annex ``annex_pk`` of the application, if it is one the submission holds (same content)."""
    annex = get_object_or_404(submission.application.annexes, pk=annex_pk)
    if annex.sha256 not in {a.get("sha256") for a in (submission.snapshot or {}).get("annexes") or []}:
        raise Http404  # added after this submission: not what is being assessed
    return file_response(annex.file, filename=annex.original_name, content_type=annex.content_type)


@permission_required("evaluation.manage_case", obj=case_for)
def case_submission_pdf(request, pk):
    submission = request.permission_object.submission
    if submission is None or not submission.pdf:
        raise Http404
    return file_response(submission.pdf, filename=f"{submission.number}.pdf", content_type="application/pdf")


@permission_required("evaluation.manage_case", obj=case_for)
def case_annex(request, pk, annex_pk):
    case = request.permission_object
    if case.submission is None:
        raise Http404
    return submitted_annex(case.submission, annex_pk)


def _submit(request, case, form, form_name, action, success):
    """Run ``action(cleaned_data)`` for a valid form and go back to the case; otherwise the case page again
    with the form's errors (400)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
            messages.success(request, success)
            return redirect(case)
        except ValidationError as exc:
            F.add_errors(form, exc)
        except (TransitionRefused, EvaluationError) as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/case.html", _context(request, case, **{form_name: form}), status=400)


@permission_required("evaluation.manage_case", obj=case_for)
@require_POST
def formal_check(request, pk):
    case = request.permission_object
    if "rerun" in request.POST:
        try:
            rerun_eligibility(case, request.user)
        except TransitionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The eligibility engine was run again on the submitted application."))
        return redirect(case)
    return _submit(request, case, F.FormalCheckForm(request.POST), "formal_form", lambda data: confirm_formal_check(
        case, data["decision"] == "eligible", data["reason"], request.user), _("The formal check is recorded."))


@permission_required("evaluation.manage_case", obj=case_for)
@require_POST
def assign(request, pk):
    case = request.permission_object
    experts = {p.user_id: p.user for p in _experts(case)}

    def action(data):
        assign_expert(case, experts[data["expert"]], data["role"], request.user)

    return _submit(request, case, F.AssignForm(request.POST, experts=_experts(case)), "assign_form", action,
                   _("The expert is assigned."))


@permission_required("evaluation.manage_case", obj=case_for)
@require_POST
def unassign(request, pk, assignment_pk):
    case = request.permission_object
    assignment = get_object_or_404(case.assignments, pk=assignment_pk)
    try:
        unassign_expert(assignment, request.user)
        messages.success(request, _("The expert is no longer assigned."))
    except EvaluationError as exc:
        messages.error(request, str(exc))
    return redirect(case)


@permission_required("evaluation.manage_case", obj=case_for)
@require_POST
def countersign(request, pk):
    case = request.permission_object
    agreement = get_object_or_404(GrantAgreement, case=case)
    try:
        countersign_agreement(agreement, request.user)
        messages.success(request, _("The agreement is countersigned and the project is created."))
    except (EvaluationError, TransitionRefused) as exc:
        messages.error(request, str(exc))
    return redirect(case)


@permission_required("evaluation.manage_case", obj=case_for)
@require_POST
def reduce(request, pk):
    """The agency awards less than requested, before it countersigns (the coordinator accepts the new amount)."""
    case = request.permission_object
    return _submit(request, case, F.ReduceGrantForm(request.POST), "reduce_form", lambda data: reduce_grant(
        case, data["amount"], data["reason"], request.user),
        _("The grant is changed; the coordinator is told and accepts the agreement with the new amount."))
