"""Experts on a project's final report (issue 14, item 1; see ``final_reports``): the officer's page (assign and
remove experts, their scores, the proposed consolidated scores and what they give, the consolidation and the
approval) and the expert's page (the declaration that gates the report, then the report as submitted and the
scores). Another agency's report, or another expert's assessment, is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required
from eplus.projects.base import ProjectError, today
from eplus.projects.finance import is_overdue
from eplus.projects.models import FinalAssessment
from eplus.projects.queries import active_partners
from eplus.projects.reports import TEXT_SECTIONS, section_labels

from .. import final_reports as domain
from .. import forms as F
from ..figures import MissingFigure, final_report_experts_max
from ..models import ExpertProfile
from ..rules import expert_final_reviews, officer_final_reports
from ..workflow import EvaluationError


def officer_report_for(request, report_pk, **_kwargs):
    return get_object_or_404(officer_final_reports(request.user).select_related(
        "project", "project__call", "project__agency", "project__coordinator"), pk=report_pk)


def review_for(request, pk, **_kwargs):
    return get_object_or_404(expert_final_reviews(request.user).select_related(
        "report", "report__project", "report__project__call", "report__project__agency",
        "report__project__coordinator"), pk=pk)


# --- the officer -----------------------------------------------------------------------------------------

def _consolidation_initial(assessment, summary, labels):
    """The officer's consolidated scores as saved, else the experts' averages."""
    if assessment is not None and (assessment.wp_scores or assessment.overall_score is not None):
        saved = dict(assessment.wp_scores)
        if domain.OVERALL in labels and assessment.overall_score is not None:
            saved[domain.OVERALL] = assessment.overall_score
        initial = {f"score_{k}": v for k, v in saved.items() if k in labels}
        initial["comments"] = assessment.comments
        return initial
    return {f"score_{k}": v for k, v in summary.proposed.items()}


def _officer_action(request, report, action, assign_form, consolidation_form):
    """Do the officer's ``action``: the redirect, or None to show the page again (errors on the forms)."""
    if action == "assign" and assign_form.is_valid():
        expert = get_object_or_404(ExpertProfile.objects.filter(agency_id=report.project.agency_id),
                                   user_id=assign_form.cleaned_data["expert"]).user
        domain.assign_expert(report, expert, request.user)
        messages.success(request, _("The expert is assigned and has been sent an e-mail."))
    elif action == "unassign":
        review = get_object_or_404(report.expert_reviews, pk=parse_id(request.POST.get("review")))
        domain.unassign_expert(review, request.user)
        messages.success(request, _("The expert has been removed from this final report."))
    elif action == "consolidate" and consolidation_form.is_valid():
        domain.consolidate(report, request.user, consolidation_form.scores(),
                           consolidation_form.cleaned_data.get("comments", ""))
        messages.success(request, _("The consolidated scores have been saved and the final grant computed."))
    elif action == "approve":
        domain.approve(report, request.user)
        messages.success(request, _("The final report has been approved and the project finalised."))
        return redirect("projects:agency_project", report.project_id)
    else:
        return None
    return redirect("evaluation:final_report", report.pk)


def _run(request, report, action, assign_form, consolidation_form):
    """_officer_action with its refusals on the page: (redirect or None, error message)."""
    try:
        return _officer_action(request, report, action, assign_form, consolidation_form), ""
    except ValidationError as exc:
        F.add_errors(assign_form if action == "assign" else consolidation_form, exc)
    except (EvaluationError, ProjectError) as exc:
        return None, str(exc)
    return None, ""


@permission_required("evaluation.manage_final_report_review", obj=officer_report_for)
def final_report(request, report_pk):
    report = request.permission_object
    project = report.project
    labels = domain.score_labels(project)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    taken = report.expert_reviews.values("expert_id")
    experts = (ExpertProfile.objects.filter(agency_id=project.agency_id, active=True).exclude(user_id__in=taken)
               .select_related("user"))
    assign_form = F.FinalReportAssignForm(request.POST if action == "assign" else None, experts=experts)
    summary = domain.consolidation(report)
    assessment = FinalAssessment.objects.filter(report=report).first()
    consolidation_form = F.ConsolidationForm(request.POST if action == "consolidate" else None, labels=labels,
                                             initial=_consolidation_initial(assessment, summary, labels))
    error = ""
    if request.method == "POST":
        done, error = _run(request, report, action, assign_form, consolidation_form)
        if done is not None:
            return done
        if not error and action not in ("assign", "consolidate"):
            error = _("Choose an action.")
    on = today()
    reviews = [{"review": r, "overdue": not r.is_submitted and is_overdue(r.due, on),
                "left": domain.days_left(r.due, on)} for r in summary.reviews]
    bad = bool(error or assign_form.errors or consolidation_form.errors)
    return render(request, "evaluation/final_report.html", {
        "report": report, "project": project, "summary": summary, "reviews": reviews, "labels": labels,
        "assign_form": assign_form, "consolidation_form": consolidation_form, "assessment": assessment,
        "error": error, "blocker": domain.approval_blocker(report),
        "decision_overdue": assessment is not None and assessment.status != "approved"
        and is_overdue(assessment.decision_due, on),
        "decision_left": domain.days_left(assessment.decision_due, on) if assessment else "",
        "may_assign": report.status == "submitted" and len(summary.reviews) < (_most(project) or len(summary.reviews) + 1),
    }, status=400 if bad else 200)


def _most(project):
    """The call's maximum of experts (0 when the call's data lacks it: the assignment then says why)."""
    try:
        return final_report_experts_max(project.call)
    except MissingFigure:
        return 0


# --- the expert --------------------------------------------------------------------------------------------

def _organisations(project):
    return [project.coordinator, *active_partners(project)]


def _declaration(request, review):
    form = F.DeclarationForm(request.POST or None)
    if review.declared_at is None and request.method == "POST" and form.is_valid():
        try:
            domain.declare(review, form.cleaned_data["no_conflict"] == "yes", form.cleaned_data["note"],
                           request.user)
            return redirect("evaluation:final_report_review", pk=review.pk)
        except ValidationError as exc:
            F.add_errors(form, exc)
        except EvaluationError as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/final_report_declaration.html", {
        "review": review, "project": review.report.project, "form": form,
        "organisations": _organisations(review.report.project)}, status=400 if form.errors else 200)


def _save(request, review, form):
    """Save or submit the posted scores; a redirect when done, None (errors on the form) otherwise."""
    submit = "submit" in request.POST
    scores, comments = form.values()
    try:
        domain.save_review(review, request.user, scores, comments, submit=submit)
    except ValidationError as exc:
        F.add_errors(form, exc)
        return None
    except EvaluationError as exc:
        form.add_error(None, str(exc))
        return None
    if submit:
        messages.success(request, _("Your assessment of the final report is submitted."))
        return redirect("evaluation:expert_assignments")
    messages.success(request, _("Your assessment is saved as a draft."))
    return redirect("evaluation:final_report_review", pk=review.pk)


@permission_required("evaluation.declare_final_report_interests", obj=review_for)
def final_report_review(request, pk):
    review = request.permission_object
    if not request.user.has_perm("evaluation.assess_final_report", review):
        return _declaration(request, review)
    report, project = review.report, review.report.project
    labels = domain.score_labels(project)
    initial = {f"score_{k}": v for k, v in review.scores.items()}
    initial.update({f"comment_{k}": v for k, v in review.comments.items()})
    form = F.FinalReviewForm(request.POST or None, initial=initial, labels=labels)
    if request.method == "POST" and form.is_valid():
        done = _save(request, review, form)
        if done is not None:
            return done
    version = domain.submitted_version(report)
    titles = section_labels()
    sections = (version.sections if version else report.sections) or {}
    on = today()
    return render(request, "evaluation/final_report_review.html", {
        "review": review, "report": report, "project": project, "form": form, "version": version,
        "overall": domain.OVERALL in labels,
        "texts": [(titles[key], sections.get(key, "")) for key in TEXT_SECTIONS],
        "budget_label": titles["budget"], "budget": sections.get("budget") or [],
        "overdue": not review.is_submitted and is_overdue(review.due, on), "left": domain.days_left(review.due, on),
    }, status=400 if form.errors else 200)
