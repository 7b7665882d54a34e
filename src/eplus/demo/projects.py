"""Demo data of the beneficiary module: a running project of the demo applicant (Daugavmala Vocational
School) with its next report due and its results to submit — so the demo applicant has a task at once.

The school applied to the 2026 KA210 call (round 1) of LV01 with the Lithuanian demo partner; the
application went the whole way through the domain's functions, each at the moment it would have
happened (the clock set back as in :mod:`eplus.demo.evaluation`): submitted before the deadline, its
case opened, checked and scored by two fictional experts, selected within the envelope, the decision
released (which issues the grant agreement), the agreement accepted by the school and countersigned by
the agency — which creates the project, its payments, its reports and its public card on the results
platform — and the first pre-financing paid.

The project's start date and duration are chosen inside the call's rules (its start window and
durations) so that the progress report is the next deadline to come after today, as early as the call
allows. Idempotent: when the school's KA210 application exists, its project is returned.
"""

from datetime import timedelta
from types import SimpleNamespace

from django.urls import reverse

from eplus.applications.models import Application
from eplus.core import time as clock
from eplus.evaluation.agreements import accept_agreement, add_months, countersign, render_agreement
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.models import Assignment, AssignmentRole, Case, CaseState, ExpertProfile, GrantAgreement
from eplus.evaluation.ranking import run_selection
from eplus.programme.models import Agency
from eplus.projects import finance
from eplus.projects.creation import reporting_periods
from eplus.projects.models import PaymentStatus, Project, ReportStatus
from eplus.projects.payments import mark_paid

from .evaluation import (
    AGENCY, SECTOR, clock_at, envelope, expert_summary, load_evaluation, past_deadline_call, person,
    submit_before_deadline,
)

PROJECT_TITLE = "Boat-building skills on the Daugava and the Nemunas"
LUMP_SUM = "60000.00"
# The two experts who assessed the school's application (fictional; they do not log in).
ASSESSORS = (
    (("assessor-hindaja", "Anna", "Hindaja"), AssignmentRole.FIRST,
     {"relevance": "26", "design": "25", "partnership": "17", "impact": "16"}),
    (("assessor-vertintojas", "Jonas", "Vertintojas"), AssignmentRole.SECOND,
     {"relevance": "25", "design": "24", "partnership": "16", "impact": "17"}),
)
COMMENTS = {"relevance": "Addresses a real shortage of boat-building skills in both regions.",
            "design": "Realistic activities, well spread over the year.",
            "partnership": "Two schools with complementary workshops; tasks clearly shared.",
            "impact": "The exchange can be repeated; the guide will be reused by other schools."}


def _months(start, end):
    return (end.year - start.year) * 12 + end.month - start.month + 1


def next_report(call, start, months):
    """The first report of a project of ``call`` starting on ``start`` for ``months``: (kind, period end,
    due date), from the same functions that plan the project's reports."""
    end = add_months(start, months) - timedelta(days=1)
    periods = reporting_periods(SimpleNamespace(start_date=start, end_date=end), call.payment_schedule or [])
    deadlines = finance.report_due_dates(end, [period_end for _kind, _start, period_end in periods],
                                         progress_days=call.progress_report_days, final_days=call.final_report_days)
    kind = periods[0][0] if periods else "final"
    return kind, deadlines[0].period_end, deadlines[0].due


def project_dates(call, today):
    """(start date, months) allowed by the call whose first report falls due soonest, but at least two weeks
    after ``today``; the latest start and longest duration when none does (a demo loaded long after)."""
    starts, day = [], call.start_earliest.replace(day=1)
    if day < call.start_earliest:
        day = add_months(day, 1)
    while day <= call.start_latest:
        starts.append(day)
        day = add_months(day, 1)
    durations = range(max(12, call.duration_min_months or 12), (call.duration_max_months or 24) + 1)
    options = [(next_report(call, start, months)[2], start, months) for start in starts for months in durations]
    soon = [option for option in options if option[0] >= today + timedelta(days=14)]
    if not soon:
        return starts[-1], durations[-1]
    _due, start, months = min(soon)
    return start, months


def activities(start, months):
    """Three activities of the project, within its dates, adding up to the lump sum."""
    def on(month, day):
        return add_months(start, month).replace(day=day).isoformat()

    return [
        {"title": "Kick-off and workshop planning", "description": "Teachers of both schools plan the exchange.",
         "start": on(0, 8), "end": on(0, 10), "venue": "Rīga, LV", "participants": "8", "amount": "12000.00"},
        {"title": "Apprentice exchange in the boatyards", "description": "Apprentices build a rowing boat together.",
         "start": on(min(months - 2, 4), 5), "end": on(min(months - 2, 4), 16), "venue": "Kaunas, LT",
         "participants": "16", "amount": "36000.00"},
        {"title": "Open guide for boat-building teachers", "description": "The schools write and publish a guide.",
         "start": on(months - 2, 1), "end": on(months - 2, 20), "venue": "Rīga, LV", "participants": "20",
         "amount": "12000.00"},
    ]


def _assessor(agency, spec):
    user = person(*spec)
    if not ExpertProfile.objects.filter(user=user, agency=agency).exists():
        register_expert(agency, email=user.email, first_name=user.first_name, last_name=user.last_name,
                        languages=["en", "lt", "et"], sectors=[SECTOR])
    return user


def _assess(case, officer, agency):
    for spec, role, scores in ASSESSORS:
        expert = _assessor(agency, spec)
        assignment = assign(case, expert, role, officer)
        if assignment.declared_at is None:
            assignment = declare(assignment, True, "", expert)
        save_assessment(Assignment.objects.get(pk=assignment.pk), scores, COMMENTS, expert, submit=True)


def load_project(users, organisations):
    """The demo applicant's running KA210 project (made once; found again on the next load), or None when
    the reference data has no 2026 KA210 call."""
    applicant, officer = users["applicant"], users["officer"]
    school, partner = organisations[0], organisations[1]
    call = past_deadline_call("KA210")
    if call is None:
        return None
    envelope(call, "252475.00")
    existing = Application.objects.filter(call=call, applicant=school, title=PROJECT_TITLE).first()
    if existing is not None:
        return Project.objects.filter(application=existing).first()
    agency = Agency.objects.get(code=AGENCY)
    today = clock.to_brussels(clock.now()).date()
    start, months = project_dates(call, today)
    content = {"title": PROJECT_TITLE, "lump_sum": LUMP_SUM, "start_date": start.isoformat(), "duration_months": months,
               "priorities": ["HOR-INCLUSION", "VET-ATTRACTIVENESS"],
               "needs": "Traditional boat-building is taught in few schools, and their apprentices never meet.",
               "objectives": "An exchange of apprentices and teachers of two river-side schools, and an open guide.",
               "items": activities(start, months)}
    application = submit_before_deadline(applicant, school, call, [partner], content, call.deadline - timedelta(days=9))
    with clock_at(call.deadline + timedelta(days=45)):  # the assessment, in April
        open_cases(call=call)
        case = Case.objects.get(application=application)
        confirm_formal_check(case, True, "", officer)
        _assess(case, officer, agency)
    case.refresh_from_db()
    if case.state != CaseState.SCORED:  # two close scores average; this would be a change in the call's data
        return None
    with clock_at(call.deadline + timedelta(days=100)):  # the selection and the decisions, in June
        run_selection(agency, call, SECTOR, officer)
        release(stage_decisions(agency, call, SECTOR, officer), officer)
    agreement = GrantAgreement.objects.filter(case=case).first()
    if agreement is None:  # not selected (an envelope smaller than the grant)
        return None
    render_agreement(agreement.pk)  # what the task does after the commit; done now so the project has its PDF
    signed_on = clock.brussels(start.year, start.month, start.day, 11) - timedelta(days=14)
    with clock_at(signed_on - timedelta(days=4)):
        accept_agreement(agreement, applicant)
    with clock_at(signed_on):
        project = countersign(agreement, officer)
    first = project.payments.filter(status=PaymentStatus.DUE).order_by("sequence").first()
    if first is not None:
        mark_paid(first, officer, paid_on=(signed_on + timedelta(days=12)).date())
    return project


def load_evaluation_and_project(users, organisations):
    """The demo loader's hook: the officer's and the expert's work (:mod:`.evaluation`) and the applicant's
    project. Returns (cases, project)."""
    cases = load_evaluation(users, organisations)
    return cases, load_project(users, organisations)


def task_lines(users):
    """What each demo role finds waiting, for the printed log-ins."""
    lines = []
    call = past_deadline_call("KA220")
    if call is not None:
        cases = Case.objects.filter(call=call, agency__code=AGENCY)
        to_check = cases.filter(state=CaseState.CHECKS).count()
        short = sum(1 for case in cases.filter(state=CaseState.ASSESSMENT).prefetch_related("assignments")
                    if len({a.role for a in case.assignments.all()} - {AssignmentRole.CONSOLIDATOR}) < 2)
        lines.append(f"  officer: {cases.count()} cases of {call} after its deadline ({to_check} to check, "
                     f"{short} without two experts) at {reverse('evaluation:workspace')}")
    summary = expert_summary(users["expert"])
    if summary:
        lines.append(f"  expert: {summary} at {reverse('evaluation:expert_assignments')}")
    project = Project.objects.filter(application__title=PROJECT_TITLE, coordinator__legal_name="Daugavmala "
                                     "Vocational School").first()
    if project is not None:
        report = project.reports.exclude(status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED,
                                                     ReportStatus.CANCELLED]).order_by("due").first()
        due = f", {report.get_kind_display().lower()} due {report.due:%d %b %Y}" if report else ""
        lines.append(f"  applicant: project {project.number}{due} at {reverse('projects:detail', args=[project.pk])}")
    return ["What the demo roles find waiting:", *lines] if lines else []
