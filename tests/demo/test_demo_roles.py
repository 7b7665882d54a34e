"""After `./run demo` every printed role has its main task at once: the officer a past-deadline call with
cases and an envelope, the expert assignments in the expert registry, the applicant a running project with
a report due and results to submit (eplus/demo/evaluation.py, eplus/demo/projects.py)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from eplus.accounts.models import User
from eplus.applications.models import Application, Submission
from eplus.core import time as clock
from eplus.demo.evaluation import APPLICATIONS
from eplus.demo.loader import PEOPLE, load_demo, login_lines
from eplus.demo.projects import PROJECT_TITLE, next_report, project_dates
from eplus.evaluation.models import Assignment, Case, CaseState, ExpertProfile, GrantAgreement
from eplus.organisations.models import Organisation
from eplus.programme.models import BudgetEnvelope, Call
from eplus.projects.models import PaymentStatus, Project, ReportStatus
from eplus.results.models import ProjectCard
from tests.factories import log_in_reauthenticated

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(db):
    call_command("load_programme", verbosity=0)


@pytest.fixture
def demo(programme):
    people = load_demo()
    return {spec.key: user for spec, user in people}


def _counts():
    models = (User, Organisation, Application, Submission, Case, Assignment, ExpertProfile, GrantAgreement,
              Project, ProjectCard, BudgetEnvelope)
    return {model.__name__: model.objects.count() for model in models}


def test_the_officer_has_the_cases_of_a_past_deadline_call_with_its_envelope(demo):
    call = Call.objects.get(year=2026, action__code="KA220", round=1)
    assert call.deadline < clock.now()
    cases = Case.objects.filter(call=call, agency__code="LV01")
    assert cases.count() == len(APPLICATIONS) >= 4
    assert BudgetEnvelope.objects.filter(agency__code="LV01", call=call, sector="VET").exists()
    states = sorted(cases.values_list("state", flat=True))
    assert states.count(CaseState.CHECKS) == 3 and states.count(CaseState.ASSESSMENT) == 2
    # submitted through the domain before the deadline, by several countries' partnerships
    for case in cases.select_related("submission", "application"):
        assert case.submission.submitted_at < call.deadline and case.submission.is_current
        assert case.formal_verdict.get("eligible") is True
        assert case.application.participations.count() == 3
    countries = set(Organisation.objects.filter(participations__application__case__in=cases)
                    .values_list("country_id", flat=True))
    assert {"LV", "LT", "EE", "FI", "PL", "SE"} <= countries
    without_two = [c for c in cases if c.state == CaseState.ASSESSMENT and c.assignments.count() < 2]
    assert len(without_two) == 2


def test_the_demo_expert_is_registered_with_a_declaration_to_make_and_an_assessment_in_progress(demo):
    expert = demo["expert"]
    assert ExpertProfile.objects.filter(user=expert, agency__code="LV01", active=True).exists()
    assignments = list(Assignment.objects.filter(expert=expert).select_related("assessment"))
    assert len(assignments) == 2
    undeclared = [a for a in assignments if a.declared_at is None]
    declared = [a for a in assignments if a.may_open]
    assert len(undeclared) == 1 and len(declared) == 1
    assessment = declared[0].assessment
    assert assessment.submitted_at is None and assessment.scores["relevance"]


def test_the_applicant_has_a_running_project_with_a_report_due_and_results_to_submit(demo):
    project = Project.objects.get(title=PROJECT_TITLE)
    assert project.coordinator.legal_name == "Daugavmala Vocational School"
    agreement = GrantAgreement.objects.get(project_id=project.pk)
    assert agreement.status == "countersigned" and agreement.pdf and project.agreement_pdf
    assert agreement.case.decision_status == "released" and agreement.case.outcome == "selected"
    today = clock.to_brussels(clock.now()).date()
    assert project.start_date <= today <= project.end_date
    call = project.call
    assert call.start_earliest <= project.start_date <= call.start_latest
    pending = project.reports.filter(status=ReportStatus.DRAFT).order_by("due")
    assert pending.exists() and pending.first().due > today
    assert pending.first().kind in ("progress", "interim")
    assert project.payments.filter(status=PaymentStatus.PAID).count() == 1
    assert project.accesses.filter(user=demo["applicant"], level="edit").exists()
    card = ProjectCard.objects.get(identifier=project.number)
    assert not card.results.exists()  # results still to add on the results platform


def test_the_project_dates_keep_to_the_call_and_put_the_first_report_soonest_after_today(programme):
    call = Call.objects.get(year=2026, action__code="KA210", round=1)
    today = call.start_earliest + timedelta(days=80)
    start, months = project_dates(call, today)
    assert call.start_earliest <= start <= call.start_latest
    assert call.duration_min_months <= months <= call.duration_max_months
    due = next_report(call, start, months)[2]
    assert due >= today + timedelta(days=14)
    # no allowed start and duration gives an earlier report still at least two weeks ahead
    later = next_report(call, call.start_earliest, 12)[2]
    assert due <= later or later < today + timedelta(days=14)
    # long after the call's window: the latest start and the longest duration
    assert project_dates(call, call.start_latest + timedelta(days=3000)) == (
        call.start_latest.replace(day=1), call.duration_max_months)


def test_loading_the_demo_twice_creates_nothing_new(demo):
    before = _counts()
    load_demo()
    assert _counts() == before


def test_the_printed_log_ins_say_what_each_role_finds(demo):
    people = [(spec, demo[spec.key]) for spec in PEOPLE]
    text = "\n".join(login_lines(people))
    assert "2 assignments: 1 to declare, 1 being scored" in text
    assert "5 cases of" in text and "(3 to check, 2 without two experts)" in text
    project = Project.objects.get(title=PROJECT_TITLE)
    assert project.number in text and "report due" in text


MAIN_PAGES = {"officer": ["evaluation:workspace", "evaluation:experts"], "expert": ["evaluation:expert_assignments"],
              "applicant": ["dashboard", "projects:mine", "results:mine"], "admin": ["evaluation:workspace"]}


def test_each_role_main_page_answers(client, demo):
    for role, pages in MAIN_PAGES.items():
        log_in_reauthenticated(client, demo[role])
        for page in pages:
            assert client.get(reverse(page)).status_code == 200, (role, page)
        client.logout()


def test_the_pages_of_each_role_show_its_work(client, demo):
    call = Call.objects.get(year=2026, action__code="KA220", round=1)
    officer, expert, applicant = demo["officer"], demo["expert"], demo["applicant"]

    log_in_reauthenticated(client, officer)
    case = Case.objects.filter(call=call, state=CaseState.CHECKS).first()
    assert client.get(reverse("evaluation:case", args=[case.pk])).status_code == 200
    assert client.get(reverse("evaluation:ranking", args=[call.pk, "VET"])).status_code == 200
    experts_page = client.get(reverse("evaluation:experts")).content.decode()
    assert expert.last_name in experts_page

    client.logout()
    log_in_reauthenticated(client, expert)
    page = client.get(reverse("evaluation:expert_assignments")).content.decode()
    for assignment in Assignment.objects.filter(expert=expert).select_related("case"):
        assert str(assignment.case) in page
        assert client.get(reverse("evaluation:assessment", args=[assignment.pk])).status_code == 200

    client.logout()
    log_in_reauthenticated(client, applicant)
    project = Project.objects.get(title=PROJECT_TITLE)
    assert PROJECT_TITLE in client.get(reverse("projects:mine")).content.decode()
    detail = client.get(reverse("projects:detail", args=[project.pk]))
    assert detail.status_code == 200
    report = project.reports.filter(status=ReportStatus.DRAFT).order_by("due").first()
    assert client.get(reverse("projects:report", args=[project.pk, report.pk])).status_code == 200
    assert client.get(reverse("results:edit", args=[project.number])).status_code == 200
    assert project.number in client.get(reverse("results:mine")).content.decode()
