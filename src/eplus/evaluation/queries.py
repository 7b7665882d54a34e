"""Read-side questions: the officer's filtered list and its export, and what other layers ask the back
office (the applicant's page asks :func:`decision_released` through the decision registry)."""

from django.db.models import Count, Q

from django.utils.translation import gettext as _

from .cases import with_independent_experts
from .models import Case, CaseState, DecisionStatus


def decision_released(application):
    """Whether the agency has released its decision on the application."""
    return Case.objects.filter(application=application, decision_status=DecisionStatus.RELEASED).exists()


def assessment_stage(application):
    """Where the agency's assessment of the application stands, told to the applicant (no scores or experts
    before the decision is released); None while no case is open."""
    case = Case.objects.filter(application=application).only("state", "decision_status").first()
    if case is None:
        return None
    if case.decision_status == DecisionStatus.RELEASED:
        return _("The agency's decision has been released.")
    if case.state == CaseState.CHECKS:
        return _("The National Agency is checking that the application is eligible.")
    if case.state == CaseState.CLOSED:
        return _("The formal check is done; the agency will send its decision.")
    if case.state in (CaseState.ASSESSMENT, CaseState.CONSOLIDATION):
        return _("Experts are assessing the application.")
    return _("The assessment is done; the agency is selecting the projects to fund.")


def calls_open_for_submissions(agency_ids, now):
    """The calls of the agencies whose deadline has not passed, with how many applications are submitted so
    far: nothing of them can be assessed yet (evaluation.timing)."""
    from eplus.applications.models import Application, Status

    return list(Application.objects.filter(agency_id__in=agency_ids, call__deadline__gt=now)
                .values("call_id", "call__year", "call__round", "call__action__code", "call__deadline",
                        "call__provisional")
                .annotate(submitted=Count("pk", filter=Q(status=Status.SUBMITTED)), drafts=Count("pk", filter=Q(
                    status=Status.DRAFT))).order_by("call__deadline", "call__action__code"))


def workspace_cases(queryset, *, action=None, sector=None, status=None, formal=None, outcome=None):
    """The officer's list, filtered; ``queryset`` is already scoped to the officer's agencies."""
    if action:
        queryset = queryset.filter(application__action__code=action)
    if sector:
        queryset = queryset.filter(sector=sector)
    if status:
        queryset = queryset.filter(state=status)
    if formal:
        queryset = queryset.filter(formal_status=formal)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    return with_independent_experts(queryset.select_related(
        "application", "application__applicant", "application__action", "call__action", "agency"))


EXPORT_HEADER = ["number", "title", "applicant", "action", "sector", "lump_sum", "formal_check", "state",
                 "final_score", "fundable", "rank", "outcome"]


def export_rows(cases):
    yield EXPORT_HEADER
    for case in cases:
        a = case.application
        yield [a.number or "", a.title, a.applicant.legal_name, a.action.code, case.sector,
               str(a.lump_sum or ""), case.formal_status, case.state,
               "" if case.final_total is None else str(case.final_total),
               "" if case.fundable is None else ("yes" if case.fundable else "no"),
               case.rank or "", case.outcome]
