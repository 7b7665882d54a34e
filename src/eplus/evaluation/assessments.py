"""The experts' assessments: draft and submission of scores with a comment per criterion, and the case's
score once both are in (the average, or consolidation when the call's figures say so)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as

from . import scoring, workflow
from .figures import award, consolidation_gap, criteria
from .models import Assessment, AssignmentRole, Case, CaseState
from .timing import require_assessment_open
from .workflow import EvaluationError


def _clean(call, scores, comments, submit):
    codes = [code for code, _name, _max in criteria(call)]
    clean_scores = {code: str(scores.get(code, "")).strip() for code in codes}
    clean_comments = {code: str(comments.get(code, "")).strip() for code in codes}
    if submit:
        errors = scoring.validate_scores(clean_scores, award(call)["criteria"])
        for code in codes:
            if not clean_comments[code]:
                errors.setdefault(f"comment_{code}", _("Write a comment that justifies this score."))
        if errors:
            raise ValidationError({(k if k.startswith("comment_") else f"score_{k}"): [v]
                                   for k, v in errors.items()})
    return clean_scores, clean_comments


def save_assessment(assignment, scores, comments, user, submit=False):
    """Save (and on ``submit`` hand in) the expert's scores and a comment per criterion.

    Under a lock on the case: the second expert's submission and the first's cannot score the case twice."""
    if assignment.expert_id != user.pk or not assignment.may_open:
        raise EvaluationError(_("You cannot assess this application."))
    with acting_as(user), transaction.atomic():
        case = Case.objects.select_for_update().select_related("call").get(pk=assignment.case_id)
        require_assessment_open(case)
        workflow.require("score", case.state)
        assessment = Assessment.objects.filter(assignment=assignment).first() or Assessment(assignment=assignment)
        if assessment.submitted_at:
            raise EvaluationError(_("This assessment has been submitted and can no longer be changed."))
        assessment.scores, assessment.comments = _clean(case.call, scores, comments, submit)
        if submit:
            assessment.submitted_at = clock.now()
        assessment.save(audit_verb="submit-assessment" if submit else "save-assessment")
        if submit:
            score_case(case)
    return assessment


def _submitted(case, role):
    return (Assessment.objects.filter(assignment__case=case, assignment__role=role, submitted_at__isnull=False)
            .select_related("assignment").first())


def score_case(case):
    """After each submitted assessment (the case locked by the caller): average the two, or ask for
    consolidation, or apply the consolidation."""
    first, second = _submitted(case, AssignmentRole.FIRST), _submitted(case, AssignmentRole.SECOND)
    if first is None or second is None:
        return case
    settings_ = {**award(case.call), "gap": consolidation_gap(case.call)}
    consolidator = _submitted(case, AssignmentRole.CONSOLIDATOR)
    if consolidator is None:
        needed, reason = scoring.needs_consolidation(first.scores, second.scores, **settings_)
        if needed:
            case.state, case.consolidation_reason = CaseState.CONSOLIDATION, reason
            case.save(audit_verb="needs-consolidation", audit_reason=reason)
            return case
    result = scoring.consolidated(first.scores, second.scores,
                                  final_scores=consolidator.scores if consolidator else None, **settings_)
    case.final_scores = {code: str(value) for code, value in result.scores.items()}
    case.final_total, case.fundable, case.final_method = result.total, result.fundable, result.method
    case.state = CaseState.SCORED
    case.save(audit_verb="scored")
    return case


def assessments_of(case):
    return list(Assessment.objects.filter(assignment__case=case).select_related("assignment__expert")
                .order_by("assignment__role"))


def consolidated_comments(case):
    """{criterion code: comment} for the applicant: the consolidator's, or both experts' comments."""
    found = {a.assignment.role: a for a in assessments_of(case) if a.submitted_at}
    if AssignmentRole.CONSOLIDATOR in found:
        return dict(found[AssignmentRole.CONSOLIDATOR].comments)
    result = {}
    for code, _name, _max in criteria(case.call):
        texts = [found[r].comments.get(code, "") for r in (AssignmentRole.FIRST, AssignmentRole.SECOND)
                 if r in found]
        result[code] = "\n\n".join(t for t in texts if t)
    return result

