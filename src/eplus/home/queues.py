"""The work queues of the dashboard: what each role the person has needs to do next, each counted and linked
to the page that does the job.

A person may have several roles (an officer who is also the contact person of an applicant organisation):
:func:`dashboard` returns one section per role they have. Every list here comes from the apps' own scoping
functions (``officer_cases``, ``agency_incidents``, ``agency_reports``, ``expert_assignments``,
``visible_applications``, ``visible_projects`` …), so the home page never shows what the linked page would
refuse. The counts are a handful of aggregate queries whatever the number of items: one over the agency's
cases (five counts at once), one per other kind of work; one query per list of the other roles.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from eplus.applications.models import IncidentStatus, Status
from eplus.applications.rules import agency_incidents, open_late_windows, visible_applications
from eplus.core import time as clock
from eplus.evaluation.cases import WITHOUT_TWO_EXPERTS, with_independent_experts
from eplus.evaluation.models import (AgreementStatus, Assignment, CaseState, DecisionStatus, FormalStatus,
                                     FinalReportReview, GrantAgreement, Outcome, RedressStatus, ReviewStatus)
from eplus.evaluation.models import Case as EvaluationCase
from eplus.evaluation.rules import expert_assignments, expert_final_reviews, officer_cases, officer_redress
from eplus.evaluation.timing import assessable
from eplus.organisations.models import Organisation
from eplus.organisations.queries import memberships_for
from eplus.organisations.registration import drafts_for
from eplus.organisations.rules import validatable
from eplus.programme.models import Agency, AgencyMembership
from eplus.programme.scoping import agency_roles, staff_agency_ids
from eplus.programme.services import upcoming_deadlines
from eplus.projects.models import (CLOSED_STATUSES, EDITABLE_REPORT_STATUSES, AmendmentStatus, Payment,
                                   PaymentKind, PaymentStatus, Report, ReportKind, ReportStatus)
from eplus.projects.rules import agency_amendments, agency_payments, agency_reports, visible_projects
from eplus.results.models import ResultsStatus
from eplus.results.rules import editable_cards, reviewable_cards


@dataclass(frozen=True)
class QueueItem:
    """One kind of work: ``label`` already counts it ("3 submissions to check"), ``url`` does the job."""

    key: str
    label: str
    count: int
    url: str

    @property
    def waiting(self):
        return self.count > 0


LABELS = {
    "organisations": ngettext_lazy("%(n)s organisation to validate", "%(n)s organisations to validate", "n"),
    "incidents": ngettext_lazy("%(n)s incident report to decide", "%(n)s incident reports to decide", "n"),
    "formal-checks": ngettext_lazy("%(n)s submission to check", "%(n)s submissions to check", "n"),
    "experts": ngettext_lazy("%(n)s application without two experts", "%(n)s applications without two experts",
                             "n"),
    "consolidation": ngettext_lazy("%(n)s score to consolidate", "%(n)s scores to consolidate", "n"),
    "outbox": ngettext_lazy("%(n)s decision to release", "%(n)s decisions to release", "n"),
    "agreements": ngettext_lazy("%(n)s grant agreement to countersign", "%(n)s grant agreements to countersign",
                                "n"),
    "redress": ngettext_lazy("%(n)s request for review to decide", "%(n)s requests for review to decide", "n"),
    "reports": ngettext_lazy("%(n)s report to review", "%(n)s reports to review", "n"),
    "amendments": ngettext_lazy("%(n)s amendment to decide", "%(n)s amendments to decide", "n"),
    "payments": ngettext_lazy("%(n)s payment due", "%(n)s payments due", "n"),
    "results": ngettext_lazy("%(n)s project's results to review", "%(n)s projects' results to review", "n"),
    "declarations": ngettext_lazy("%(n)s declaration of interests to make",
                                  "%(n)s declarations of interests to make", "n"),
    "scoring": ngettext_lazy("%(n)s application to score", "%(n)s applications to score", "n"),
    "final-reports": ngettext_lazy("%(n)s final report to assess", "%(n)s final reports to assess", "n"),
}


def _item(key, count, url):
    return QueueItem(key=key, label=LABELS[key] % {"n": count}, count=count, url=url)


def _workspace(**filters):
    return f"{reverse('evaluation:workspace')}?{urlencode(filters)}"


# --- Brussels calendar countdowns ---------------------------------------------------------------------------

def closes_in(deadline, now=None):
    """How long until ``deadline`` on the Brussels calendar, as the calls define it: "closes in 3 days",
    "closes tomorrow at 12:00", "closes today at 12:00", "closes in 40 minutes", "closed"."""
    now = now or clock.now()
    if not clock.is_before_deadline(now, deadline):
        return _("closed")
    left = deadline - now
    if left < timedelta(hours=1):
        minutes = max(1, int(left.total_seconds() // 60))
        return ngettext("closes in %(n)d minute", "closes in %(n)d minutes", minutes) % {"n": minutes}
    local = clock.to_brussels(deadline)
    days = (local.date() - clock.to_brussels(now).date()).days
    at = f"{local:%H:%M}"
    if days == 0:
        return _("closes today at %(time)s") % {"time": at}
    if days == 1:
        return _("closes tomorrow at %(time)s") % {"time": at}
    return ngettext("closes in %(n)d day", "closes in %(n)d days", days) % {"n": days}


def due_in(day, today):
    """A due date against today's Brussels date: "due today", "due in 5 days", "2 days overdue"."""
    if day is None:
        return ""
    days = (day - today).days
    if days == 0:
        return _("due today")
    if days > 0:
        return ngettext("due in %(n)d day", "due in %(n)d days", days) % {"n": days}
    return ngettext("%(n)d day overdue", "%(n)d days overdue", -days) % {"n": -days}


# --- the agency ---------------------------------------------------------------------------------------------

def _case_counts(user, now):
    """Five counts of the agency's cases in one query."""
    scoped = EvaluationCase.objects.filter(pk__in=officer_cases(user).values("pk"))
    cases = with_independent_experts(assessable(scoped, now))
    return cases.aggregate(
        to_check=Count("pk", filter=Q(state=CaseState.CHECKS, formal_status=FormalStatus.PENDING)),
        without_experts=Count("pk", filter=WITHOUT_TWO_EXPERTS),
        to_consolidate=Count("pk", filter=Q(state=CaseState.CONSOLIDATION)),
        to_release=Count("pk", filter=Q(decision_status=DecisionStatus.STAGED)),
        to_countersign=Count("pk", filter=Q(agreement__status=AgreementStatus.ACCEPTED)),
    )


def _count(queryset):
    """COUNT of a scoped queryset (the scoping's DISTINCT is taken over the ids only)."""
    return queryset.values("pk").count()


def waiting_first(items):
    """The kinds of work that wait first; each group keeps the order of a project's life."""
    return sorted(items, key=lambda item: not item.waiting)


def officer_queue(user, now=None):
    """What the staff member's agencies have to do, in the order of a project's life."""
    now = now or clock.now()
    cases = _case_counts(user, now)
    organisations = validatable(Organisation.objects.filter(status=Organisation.Status.UNDER_VALIDATION), user)
    projects = reverse("projects:agency_queue")
    return [
        _item("organisations", _count(organisations), reverse("organisations:agency_queue")),
        _item("incidents", agency_incidents(user).filter(status=IncidentStatus.REPORTED).count(),
              reverse("applications:agency_incidents")),
        _item("formal-checks", cases["to_check"], _workspace(status=CaseState.CHECKS, formal=FormalStatus.PENDING)),
        _item("experts", cases["without_experts"], _workspace(status=CaseState.ASSESSMENT, experts="missing")),
        _item("consolidation", cases["to_consolidate"], _workspace(status=CaseState.CONSOLIDATION)),
        _item("outbox", cases["to_release"], reverse("evaluation:outbox")),
        _item("agreements", cases["to_countersign"], _workspace(outcome=Outcome.SELECTED)),
        _item("redress", _count(officer_redress(user).filter(status=RedressStatus.REQUESTED)),
              reverse("evaluation:redress_list")),
        _item("reports", _count(agency_reports(user).filter(status=ReportStatus.SUBMITTED)), projects),
        _item("amendments", _count(agency_amendments(user).filter(status=AmendmentStatus.REQUESTED)), projects),
        _item("payments", _count(agency_payments(user).filter(status=PaymentStatus.DUE)),
              f"{projects}#payments-due"),
        _item("results", _count(reviewable_cards(user).filter(results_status=ResultsStatus.UNDER_REVIEW)),
              reverse("results:review_queue")),
    ]


# --- the expert ---------------------------------------------------------------------------------------------

ASSESSED_STATES = (CaseState.ASSESSMENT, CaseState.CONSOLIDATION)


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    state: str  # declare · scoring · submitted · conflict · closed
    state_label: str
    deadline: object  # the instant the expert works towards (the call's: assessments have no deadline of their own)

    @property
    def slot(self):
        """A suffix for the ids of the row's deadline (unique on the page)."""
        return f"assignment-{self.assignment.pk}"


def _assignment_state(assignment):
    assessment = getattr(assignment, "assessment", None)
    if assessment is not None and assessment.submitted_at:
        return "submitted", _("Submitted")
    if assignment.declared_at is None:
        return "declare", _("Declaration of interests to make")
    if not assignment.no_conflict:
        return "conflict", _("Conflict declared: the agency reassigns it")
    if assignment.case.state not in ASSESSED_STATES:
        return "closed", _("No longer being assessed")
    if assessment is not None:
        return "scoring", _("Scoring (draft saved)")
    return "scoring", _("To score")


ROW_ORDER = {"declare": 0, "scoring": 1, "conflict": 2, "closed": 3, "submitted": 4}


def expert_work(user):
    """The expert's assignments (one query), the ones to do first, with the state of each."""
    assignments = (expert_assignments(user)
                   .select_related("case__application", "case__call__action", "assessment")
                   .order_by("case__call__deadline", "pk"))
    rows = []
    for assignment in assignments:
        state, label = _assignment_state(assignment)
        rows.append(AssignmentRow(assignment=assignment, state=state, state_label=label,
                                  deadline=assignment.case.call.deadline))
    rows.sort(key=lambda row: ROW_ORDER[row.state])
    url = reverse("evaluation:expert_assignments")
    items = [_item("declarations", sum(r.state == "declare" for r in rows), url),
             _item("scoring", sum(r.state == "scoring" for r in rows), url)]
    # final reports (issue 14, item 1): shown once the expert has been given one
    reviews = FinalReportReview.objects.filter(pk__in=expert_final_reviews(user).values("pk")).aggregate(
        total=Count("pk"), waiting=Count("pk", filter=Q(report__status=ReportStatus.SUBMITTED)
                                         & ~Q(status=ReviewStatus.SUBMITTED)))
    if reviews["total"]:
        items.append(_item("final-reports", reviews["waiting"], url))
    return {"rows": rows, "items": waiting_first(items), "submitted": sum(r.state == "submitted" for r in rows),
            "final_reports": reviews["total"]}


# --- the applicant ------------------------------------------------------------------------------------------

@dataclass
class ApplicantWork:
    memberships: list
    registrations: int
    drafts: list = field(default_factory=list)  # DraftRow
    submitted: list = field(default_factory=list)  # (application, state label)
    decisions: list = field(default_factory=list)  # applications with a released decision
    projects: list = field(default_factory=list)
    cards: int = 0  # project cards on the results platform the person edits
    cards_waiting: int = 0  # of which waiting for their results
    deadlines: list = field(default_factory=list)

    @property
    def has_work(self):
        return bool(self.memberships or self.registrations or self.drafts or self.submitted or self.decisions
                    or self.projects or self.cards)


@dataclass(frozen=True)
class DraftRow:
    application: object
    closes: object  # the deadline, or the end of the late-submission window an accepted incident report gave
    countdown: str
    late: bool

    @property
    def slot(self):
        return f"draft-{self.application.pk}"


def _drafts(user, now):
    late = (open_late_windows(now, application_id=OuterRef("pk"))
            .order_by().values("application_id").annotate(until=Max("late_until")).values("until"))
    drafts = (visible_applications(user).filter(status=Status.DRAFT)
              .select_related("call__action", "applicant", "agency")
              .annotate(late_until=Subquery(late))
              .filter(Q(call__deadline__gt=now) | Q(late_until__isnull=False))
              .order_by("call__deadline", "-updated_at"))
    rows = []
    for application in drafts:
        late = not clock.is_before_deadline(now, application.call.deadline)
        closes = application.late_until if late else application.call.deadline
        rows.append(DraftRow(application=application, closes=closes, countdown=closes_in(closes, now), late=late))
    return rows


def _submitted(user, now):
    decision = EvaluationCase.objects.filter(application_id=OuterRef("pk"), decision_status=DecisionStatus.RELEASED)
    agreement = GrantAgreement.objects.filter(case__application_id=OuterRef("pk"))
    applications = (visible_applications(user).filter(status=Status.SUBMITTED)
                    .select_related("call__action", "applicant")
                    .annotate(released_outcome=Subquery(decision.values("outcome")[:1]),
                              agreement_status=Subquery(agreement.values("status")[:1]))
                    .order_by("-submitted_at", "pk"))
    submitted, decisions = [], []
    outcomes = dict(Outcome.choices)
    for application in applications:
        if application.released_outcome is not None:
            application.outcome_label = outcomes.get(application.released_outcome, "")
            application.to_sign = application.agreement_status == AgreementStatus.ISSUED
            decisions.append(application)
        elif clock.is_before_deadline(now, application.call.deadline):
            submitted.append((application, _("Submitted: you can still change it and submit again until the "
                                             "deadline")))
        else:
            submitted.append((application, _("Being assessed by the agency")))
    return submitted, decisions


def _projects(user, today):
    reports = Report.objects.filter(project_id=OuterRef("pk"), status__in=EDITABLE_REPORT_STATUSES) \
        .order_by("due", "sequence")
    payments = Payment.objects.filter(project_id=OuterRef("pk"),
                                      status__in=[PaymentStatus.DUE, PaymentStatus.PLANNED]) \
        .order_by(F("due").asc(nulls_last=True), "sequence")
    projects = (visible_projects(user).exclude(status__in=CLOSED_STATUSES).select_related("coordinator")
                .annotate(next_report_pk=Subquery(reports.values("pk")[:1]),
                          next_report_kind=Subquery(reports.values("kind")[:1]),
                          next_report_due=Subquery(reports.values("due")[:1]),
                          next_payment_kind=Subquery(payments.values("kind")[:1]),
                          next_payment_amount=Subquery(payments.values("amount")[:1]),
                          next_payment_due=Subquery(payments.values("due")[:1]),
                          next_payment_status=Subquery(payments.values("status")[:1]))
                .order_by("end_date", "number"))
    kinds = {**dict(ReportKind.choices), **dict(PaymentKind.choices)}
    rows = list(projects)
    for project in rows:
        project.next_report_label = kinds.get(project.next_report_kind, "")
        project.next_report_when = due_in(project.next_report_due, today)
        project.next_payment_label = kinds.get(project.next_payment_kind, "")
        project.next_payment_due_label = (_("due now") if project.next_payment_status == PaymentStatus.DUE
                                          else _("planned"))
    return rows


def applicant_work(user, now=None):
    now = now or clock.now()
    today = clock.to_brussels(now).date()
    work = ApplicantWork(memberships=list(memberships_for(user)), registrations=drafts_for(user, now).count())
    work.drafts = _drafts(user, now)
    work.submitted, work.decisions = _submitted(user, now)
    work.projects = _projects(user, today)
    cards = editable_cards(user).aggregate(
        total=Count("pk"), waiting=Count("pk", filter=Q(results_status__in=[ResultsStatus.AVAILABLE,
                                                                              ResultsStatus.RETURNED])))
    work.cards, work.cards_waiting = cards["total"], cards["waiting"]
    work.deadlines = upcoming_deadlines(now, limit=6)
    return work


# --- the whole page -----------------------------------------------------------------------------------------

def dashboard(user, now=None):
    """The sections of the person's home page, one per role they have: ``agency`` (staff of an agency),
    ``expert`` (an agency's registered expert) and ``applicant`` (acts for an organisation, has applications,
    projects or project cards, or has no other role: a new account is told where to start)."""
    now = now or clock.now()
    roles = {role for _agency, role in agency_roles(user)}
    context = {"agency": None, "expert": None, "applicant": None}
    staff = staff_agency_ids(user)
    if staff:
        items = officer_queue(user, now)
        context["agency"] = {"agencies": list(Agency.objects.filter(pk__in=staff).order_by("code")),
                             "items": waiting_first(items), "waiting": any(item.waiting for item in items)}
    if AgencyMembership.Role.EXPERT in roles:
        context["expert"] = expert_work(user)
    applicant = applicant_work(user, now)
    if applicant.has_work or not (context["agency"] or context["expert"]):
        context["applicant"] = applicant
    return context
