"""The experts' pages: their assignments, the conflict-of-interest declaration that gates the application,
and the assessment form."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.applications.reading import organisations_of, read_submission
from eplus.core.permissions import permission_required
from eplus.projects.base import today

from .. import forms as F
from .cases import submitted_annex
from ..assessments import assessments_of, save_assessment
from ..experts import declare
from ..figures import criteria as call_criteria
from ..models import AssignmentRole
from ..rules import expert_assignments, expert_final_reviews
from ..workflow import EvaluationError, TransitionRefused


@permission_required("evaluation.list_assignments")
def expert_list(request):
    assignments = (expert_assignments(request.user)
                   .select_related("case__application", "case__call__action", "assessment")
                   .order_by("declared_at", "pk"))
    final_reviews = (expert_final_reviews(request.user).select_related("report__project")
                     .order_by("status", "due", "pk"))
    return render(request, "evaluation/expert_list.html", {"assignments": list(assignments),
                                                           "final_reviews": list(final_reviews), "today": today()})


def assignment_for(request, pk, **_kwargs):
    return get_object_or_404(expert_assignments(request.user).select_related(
        "case__application", "case__application__action", "case__call__action",
        "case__submission__application__call__action"), pk=pk)


def _declaration(request, assignment):
    form = F.DeclarationForm(request.POST or None)
    if assignment.declared_at is None and request.method == "POST" and form.is_valid():
        try:
            declare(assignment, form.cleaned_data["no_conflict"] == "yes", form.cleaned_data["note"], request.user)
            return redirect("evaluation:assessment", pk=assignment.pk)
        except ValidationError as exc:
            F.add_errors(form, exc)
    organisations = organisations_of(assignment.case.submission) if assignment.case.submission else []
    return render(request, "evaluation/declaration.html", {"assignment": assignment, "form": form,
                                                           "organisations": organisations},
                  status=400 if form.errors else 200)


def _save(request, assignment, form, criteria):
    """Save or submit the posted form; a redirect when done, None (errors on the form) otherwise."""
    data, submit = form.cleaned_data, "submit" in request.POST
    scores = {code: data.get(f"score_{code}", "") for code, _n, _m in criteria}
    comments = {code: data.get(f"comment_{code}", "") for code, _n, _m in criteria}
    try:
        save_assessment(assignment, scores, comments, request.user, submit=submit)
    except ValidationError as exc:
        F.add_errors(form, exc)
        return None
    except (EvaluationError, TransitionRefused) as exc:
        form.add_error(None, str(exc))
        return None
    if submit:
        messages.success(request, _("Your assessment is submitted."))
        return redirect("evaluation:expert_assignments")
    messages.success(request, _("Your assessment is saved as a draft."))
    return redirect("evaluation:assessment", pk=assignment.pk)


@permission_required("evaluation.declare_interests", obj=assignment_for)
def assessment(request, pk):
    assignment = request.permission_object
    if not request.user.has_perm("evaluation.assess", assignment):
        return _declaration(request, assignment)
    case = assignment.case
    criteria = call_criteria(case.call)
    existing = getattr(assignment, "assessment", None)
    initial = {}
    if existing:
        initial.update({f"score_{k}": v for k, v in existing.scores.items()})
        initial.update({f"comment_{k}": v for k, v in existing.comments.items()})
    form = F.AssessmentForm(request.POST or None, initial=initial, criteria=criteria)
    if request.method == "POST" and form.is_valid():
        done = _save(request, assignment, form, criteria)
        if done is not None:
            return done
    others = []
    if assignment.role == AssignmentRole.CONSOLIDATOR:
        others = [a for a in assessments_of(case) if a.assignment.role != AssignmentRole.CONSOLIDATOR]
    return render(request, "evaluation/assessment.html", {
        "assignment": assignment, "case": case, "form": form, "reading": read_submission(case.submission),
        "others": others, "criteria": criteria,
        "submitted": bool(existing and existing.submitted_at),
    }, status=400 if form.errors else 200)


@permission_required("evaluation.assess", obj=assignment_for)
def assessment_annex(request, pk, annex_pk):
    """An annex of the application the expert assesses (after the declaration, as the application itself)."""
    return submitted_annex(request.permission_object.case.submission, annex_pk)
