"""Read-side questions: the officer's filtered list and its export, and what other layers ask the back
office (the applicant's page asks :func:`decision_released` through the decision registry)."""

from django.db.models import Count

from .models import Case, DecisionStatus


def decision_released(application):
    """Whether the agency has released its decision on the application."""
    return Case.objects.filter(application=application, decision_status=DecisionStatus.RELEASED).exists()


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
    return queryset.select_related("application", "application__applicant", "application__action", "call",
                                   "agency").annotate(n_experts=Count("assignments"))


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
