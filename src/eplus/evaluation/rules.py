"""Who may see and do what in the back office: ``rules`` predicates (registered as ``evaluation.*``
permissions) and, beside each, the queryset filter of what the user may list.

- agency officers and administrators: the cases of their own agency (``eplus.programme.scoping``);
  another agency's case is a 404;
- experts: only the assignments made to them, and the application only after declaring no conflict;
- applicants: the released decision of their own applications (``visible_applications``), and the
  coordinator's legal representatives and contact persons sign its grant agreement.

Views declare these permissions (``eplus.core.permissions.permission_required``) and look the object up
in the filter beside the predicate, so that what a user may not see is a 404.
"""

from dataclasses import dataclass

import rules
from django.db.models import Q

from eplus.programme.scoping import for_agency_staff, staff_agency_ids

from .models import Assignment, Case, Decision, DecisionStatus, GrantAgreement, SimilarityFinding


@dataclass(frozen=True)
class Group:
    """One agency x call x field: the unit of ranking, selection and decisions."""

    agency: object
    call: object
    sector: str


# --- agency officers -------------------------------------------------------------------------------------

@rules.predicate
def is_agency_officer(user):
    """Staff (officer or administrator) of at least one agency: the back office's own pages."""
    return bool(staff_agency_ids(user))


def officer_cases(user):
    """The cases of the agencies the user works for."""
    return for_agency_staff(Case.objects.all(), user)


@rules.predicate
def is_officer_of_agency(user, case):
    """The case belongs to one of the user's agencies."""
    return case is not None and case.agency_id in staff_agency_ids(user)


def officer_calls(user):
    """The calls in which the user's agencies have cases."""
    from eplus.programme.models import Call

    return Call.objects.filter(pk__in=officer_cases(user).values("call_id"))


@rules.predicate
def is_officer_in_call(user, call):
    return call is not None and officer_cases(user).filter(call=call).exists()


def officer_group(user, call, sector):
    """The group of ``call`` and ``sector`` of the user's agency: one where it has cases or, before the deadline
    (no case is open yet), an envelope; None otherwise."""
    from eplus.programme.models import BudgetEnvelope

    case = officer_cases(user).filter(call=call, sector=sector).select_related("agency").first()
    if case is not None:
        return Group(agency=case.agency, call=call, sector=sector)
    envelope = (BudgetEnvelope.objects.filter(agency_id__in=staff_agency_ids(user), call=call, sector=sector)
                .select_related("agency").order_by("agency__code").first())
    return None if envelope is None else Group(agency=envelope.agency, call=call, sector=sector)


@rules.predicate
def is_officer_of_group(user, group):
    return group is not None and group.agency.pk in staff_agency_ids(user)


def officer_findings(user):
    """Similarity findings that touch at least one case of the user's agencies (the other side may be any
    agency's: its text is needed to judge the pair)."""
    ids = staff_agency_ids(user)
    return (SimilarityFinding.objects
            .filter(Q(case_a__agency_id__in=ids) | Q(case_b__agency_id__in=ids))
            .select_related("case_a__application", "case_b__application", "case_a__agency", "case_b__agency"))


@rules.predicate
def is_officer_of_finding(user, finding):
    ids = staff_agency_ids(user)
    return finding is not None and (finding.case_a.agency_id in ids
                                    or (finding.case_b_id is not None and finding.case_b.agency_id in ids))


def officer_decisions(user):
    """The decisions (staged or released) of the user's agencies' cases: the outbox."""
    return Decision.objects.filter(case__in=officer_cases(user))


def officer_mail(user):
    """The e-mails of the outbox about the user's agencies' work (queued, sent or failed)."""
    from eplus.core.models import OutgoingMail
    from eplus.programme.models import Agency

    ids = staff_agency_ids(user)
    if not ids:
        return OutgoingMail.objects.none()
    return OutgoingMail.objects.filter(agency_code__in=Agency.objects.filter(pk__in=ids).values("code"))


# --- experts ---------------------------------------------------------------------------------------------

def expert_assignments(user):
    """The assignments of an active expert; nothing for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(expert=user, case__agency__memberships__user=user,
                                     case__agency__memberships__role="expert",
                                     case__agency__memberships__active=True).distinct()


@rules.predicate
def is_assigned_expert(user, assignment):
    return assignment is not None and expert_assignments(user).filter(pk=assignment.pk).exists()


@rules.predicate
def may_open_application(user, assignment):
    """The assigned expert, after declaring no conflict of interest, may read and assess the application."""
    return is_assigned_expert(user, assignment) and assignment.may_open


# --- applicants ------------------------------------------------------------------------------------------

def released_decisions(user):
    """The released decisions on the applications the user may open."""
    from eplus.applications.rules import visible_applications

    return Decision.objects.filter(status=DecisionStatus.RELEASED,
                                   case__application__in=visible_applications(user))


@rules.predicate
def is_released_to_applicant(user, decision):
    return decision is not None and released_decisions(user).filter(pk=decision.pk).exists()


def visible_agreements(user):
    """Grant agreements of the user's agencies' cases, and those of the applicant's released decisions."""
    return GrantAgreement.objects.filter(Q(case__in=officer_cases(user))
                                         | Q(case__decision__in=released_decisions(user)))


@rules.predicate
def may_read_agreement(user, agreement):
    return agreement is not None and visible_agreements(user).filter(pk=agreement.pk).exists()


@rules.predicate
def signs_for_coordinator(user, agreement):
    """The decision is released to the user, who may submit the application (the coordinator's legal
    representative or contact person): they accept or upload the signed agreement."""
    return (agreement is not None and released_decisions(user).filter(case_id=agreement.case_id).exists()
            and user.has_perm("applications.submit_application", agreement.case.application))


rules.add_perm("evaluation.use_back_office", is_agency_officer)
rules.add_perm("evaluation.manage_case", is_officer_of_agency)
rules.add_perm("evaluation.check_similarity", is_officer_in_call)
rules.add_perm("evaluation.decide_finding", is_officer_of_finding)
rules.add_perm("evaluation.select", is_officer_of_group)
rules.add_perm("evaluation.list_assignments", rules.is_authenticated)
rules.add_perm("evaluation.declare_interests", is_assigned_expert)
rules.add_perm("evaluation.assess", may_open_application)
rules.add_perm("evaluation.view_decision", is_released_to_applicant)
rules.add_perm("evaluation.view_agreement", may_read_agreement)
rules.add_perm("evaluation.sign_agreement", signs_for_coordinator)


# --- budget envelopes ------------------------------------------------------------------------------------
# Staff (officers and administrators) of an agency see its envelopes; only its administrators change them
# or move money between them. Another agency's envelope is a 404.

def admin_agency_ids(user):
    """Ids of the agencies the user administers."""
    from eplus.programme.models import AgencyMembership
    from eplus.programme.scoping import agency_roles

    return frozenset(agency for agency, role in agency_roles(user) if role == AgencyMembership.Role.ADMIN)


def officer_envelopes(user):
    """The budget envelopes of the agencies the user works for."""
    from eplus.programme.models import BudgetEnvelope

    return for_agency_staff(BudgetEnvelope.objects.all(), user)


def administers_agency(user, agency):
    return agency is not None and getattr(agency, "pk", agency) in admin_agency_ids(user)


@rules.predicate
def is_agency_admin(user):
    """Administrator of at least one agency: may add envelopes and move money between them."""
    return bool(admin_agency_ids(user))


@rules.predicate
def is_staff_of_envelope(user, envelope):
    return envelope is not None and envelope.agency_id in staff_agency_ids(user)


@rules.predicate
def is_admin_of_envelope(user, envelope):
    return envelope is not None and envelope.agency_id in admin_agency_ids(user)


rules.add_perm("evaluation.manage_envelopes", is_agency_admin)
rules.add_perm("evaluation.view_envelope", is_staff_of_envelope)
rules.add_perm("evaluation.change_envelope", is_admin_of_envelope)


# --- redress: a review of a released rejection (issue 13, item 9; see ``redress``) ------------------------
# The applicant's legal representatives and contact persons (those who may submit the application) ask for
# it on the decision page; the staff of the case's agency record the outcome. Another agency's request is a 404.

def officer_redress(user):
    """The requests for review on the cases of the user's agencies."""
    from .models import RedressRequest

    return for_agency_staff(RedressRequest.objects.all(), user, agency_path="decision__case__agency")


@rules.predicate
def may_request_review(user, decision):
    """The decision is released to the user, who may submit its application for the applicant."""
    return (decision is not None and is_released_to_applicant(user, decision)
            and user.has_perm("applications.submit_application", decision.case.application))


@rules.predicate
def is_officer_of_redress(user, redress):
    return redress is not None and redress.decision.case.agency_id in staff_agency_ids(user)


rules.add_perm("evaluation.request_review", may_request_review)
rules.add_perm("evaluation.decide_review", is_officer_of_redress)


# --- experts on a final report (issue 14, item 1; see ``final_reports``) ----------------------------------
# The staff of the project's agency assign the experts, read their scores, consolidate and approve; an
# expert sees only the final reports assigned to them, and the report itself only after declaring no conflict.
# Anyone else gets a 404.

def officer_final_reports(user):
    """The final reports of the projects of the user's agencies."""
    from eplus.projects.models import Report, ReportKind

    return for_agency_staff(Report.objects.filter(kind=ReportKind.FINAL), user, agency_path="project__agency")


@rules.predicate
def is_officer_of_final_report(user, report):
    return (report is not None and report.kind == "final"
            and report.project.agency_id in staff_agency_ids(user))


def expert_final_reviews(user):
    """The final-report assessments assigned to the user, while they are an active expert of the agency."""
    from .models import FinalReportReview

    if not getattr(user, "is_authenticated", False):
        return FinalReportReview.objects.none()
    return FinalReportReview.objects.filter(
        expert=user, report__project__agency__memberships__user=user,
        report__project__agency__memberships__role="expert",
        report__project__agency__memberships__active=True).distinct()


@rules.predicate
def is_reviewing_expert(user, review):
    return review is not None and expert_final_reviews(user).filter(pk=review.pk).exists()


@rules.predicate
def may_read_final_report(user, review):
    """The assigned expert, after declaring no conflict of interest, reads and scores the final report."""
    return is_reviewing_expert(user, review) and review.may_open


rules.add_perm("evaluation.manage_final_report_review", is_officer_of_final_report)
rules.add_perm("evaluation.declare_final_report_interests", is_reviewing_expert)
rules.add_perm("evaluation.assess_final_report", may_read_final_report)
