"""Two officers at the same moment (real PostgreSQL transactions in threads): countersigning creates exactly
one project, releasing sends each letter once, and two sweeps open each case once."""


import pytest
from django.core import mail
from django.db import connection

from eplus.evaluation.agreements import accept_agreement, countersign
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.models import AssignmentRole, Case, Decision, DecisionStatus, GrantAgreement
from eplus.evaluation.ranking import run_selection
from eplus.programme.models import Agency
from tests.concurrency import run_at_once

from . import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
GOOD = {"relevance": "20", "design": "25", "partnership": "15", "impact": "20"}


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def programme(transactional_db):
    from eplus.programme.loader import load_programme

    return load_programme()


def _staged(coordinator):
    officer = f.officer()
    app = f.submitted(coordinator=coordinator, lump_sum="120000.00")
    open_cases()
    case = Case.objects.get(application=app)
    confirm_formal_check(case, True, "", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        expert = f.user()
        register_expert(Agency.objects.get(code="LV01"), email=expert.email, first_name="E", last_name="X",
                        languages=["en"], sectors=["VET"])
        a = declare(assign(case, expert, role, officer), True, "", expert)
        save_assessment(a, GOOD, {k: "ok" for k in GOOD}, expert, submit=True)
    run_selection(case.agency, case.call, "VET", officer)
    return case, stage_decisions(case.agency, case.call, "VET", officer)


def test_two_officers_release_at_once_each_letter_goes_once(programme):
    coordinator = f.user()
    case, staged = _staged(coordinator)
    officers = [f.officer(), f.officer()]
    mail.outbox.clear()
    results = run_at_once([lambda o=o: release(list(Decision.objects.filter(pk__in=[d.pk for d in staged])), o)
                     for o in officers])
    assert sorted(len(r) for r in results) == [0, 1]
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert Decision.objects.get(case=case).status == DecisionStatus.RELEASED
    assert GrantAgreement.objects.filter(case=case).count() == 1


def test_two_officers_countersign_at_once_one_project(programme):
    from eplus.projects.models import Project

    coordinator = f.user()
    case, staged = _staged(coordinator)
    release(staged, f.officer())
    agreement = GrantAgreement.objects.get(case=case)
    accept_agreement(agreement, coordinator)
    officers = [f.officer(), f.officer()]
    projects = run_at_once([lambda o=o: countersign(GrantAgreement.objects.get(pk=agreement.pk), o) for o in officers])
    assert projects[0].pk == projects[1].pk
    assert Project.objects.filter(application=case.application).count() == 1
    assert GrantAgreement.objects.get(pk=agreement.pk).project_id == projects[0].pk


def test_two_sweeps_at_once_open_each_case_once(programme):
    apps = [f.submitted() for _ in range(3)]
    opened = run_at_once([open_cases, open_cases])
    assert sum(len(batch) for batch in opened) == 3
    assert Case.objects.filter(application__in=apps).count() == 3


def test_ten_parallel_accepts_of_the_agreement_accept_it_once(programme):
    from eplus.core.models import AuditEvent

    coordinator = f.user()
    case, staged = _staged(coordinator)
    release(staged, f.officer())
    agreement = GrantAgreement.objects.get(case=case)
    results = run_at_once([lambda: accept_agreement(GrantAgreement.objects.get(pk=agreement.pk), coordinator)
                     for _ in range(10)])
    assert {r.status for r in results} == {"accepted"}
    assert AuditEvent.objects.filter(verb="accept-agreement").count() == 1
    assert GrantAgreement.objects.get(pk=agreement.pk).accepted_by == coordinator
