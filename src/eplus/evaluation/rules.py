"""Who may see what in the back office, as ``rules`` predicates and the matching queryset filters.

- agency officers and administrators: the cases of their own agency (``eplus.programme.scoping``);
  another agency's case is a 404;
- experts: only the assignments made to them, and the application only after declaring no conflict;
- applicants: the released decision of their own applications (``visible_applications``).
"""

import rules

from eplus.programme.scoping import for_agency_staff, staff_agency_ids

from .models import Assignment, Case, Decision, DecisionStatus


def officer_cases(user):
    return for_agency_staff(Case.objects.all(), user)


def expert_assignments(user):
    """The assignments of an active expert; nothing for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(expert=user, case__agency__memberships__user=user,
                                     case__agency__memberships__role="expert",
                                     case__agency__memberships__active=True).distinct()


def released_decisions(user):
    from eplus.applications.rules import visible_applications

    return Decision.objects.filter(status=DecisionStatus.RELEASED,
                                   case__application__in=visible_applications(user))


@rules.predicate
def is_case_officer(user, case):
    return case is not None and case.agency_id in staff_agency_ids(user)


@rules.predicate
def is_assigned_expert(user, assignment):
    return assignment is not None and expert_assignments(user).filter(pk=assignment.pk).exists()


@rules.predicate
def may_open_application(user, assignment):
    return is_assigned_expert(user, assignment) and assignment.may_open


rules.add_perm("evaluation.manage_case", is_case_officer)
rules.add_perm("evaluation.assess", may_open_application)
