"""Experts on a final report at the same moment (real PostgreSQL transactions in threads): three officers
assigning three experts to a report that takes two give it two, and one expert's double submission is
recorded once."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from eplus.core.audit import history
from eplus.evaluation import final_reports as fr
from eplus.projects import workflow
from eplus.projects.models import ReportKind
from tests.concurrency import run_at_once
from tests.factories import PDF, make_officer
from tests.projects.conftest import make_application, people  # noqa: F401 - fixture
from tests.projects.test_services import fill

from . import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def programme(transactional_db):
    from eplus.programme.loader import load_programme

    return load_programme()


@pytest.fixture
def final(people):  # noqa: F811
    from eplus.projects.creation import create_project

    application = make_application("KA220", lump_sum="250000", applicant=people["applicant"],
                                   partners=[people["partner_org"]])
    project = create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                             end_date=date(2028, 8, 31), lump_sum=Decimal("250000"), agreement_pdf=PDF,
                             created_by=people["officer"])
    report = project.reports.get(kind=ReportKind.FINAL)
    fill(report, people["coordinator"], used="1")
    return workflow.submit_report(report, people["coordinator"])


def _refused(call):
    def run():
        try:
            return call()
        except ValidationError:
            return "refused"
    return run


def test_three_officers_at_once_give_the_report_the_calls_two_experts(final):
    officers = [make_officer("LV01") for _ in range(3)]
    experts = [f.expert() for _ in range(3)]
    results = run_at_once([_refused(lambda o=o, e=e: fr.assign_expert(final, e, o))
                           for o, e in zip(officers, experts, strict=True)])
    assert results.count("refused") == 1
    assert final.expert_reviews.count() == 2


def test_one_expert_submitting_twice_at_once_is_recorded_once(final, people):  # noqa: F811
    expert = f.expert()
    review = fr.declare(fr.assign_expert(final, expert, people["officer"]), True, "", expert)
    scores, comments = {"2": "60", "3": "45"}, {"2": "ok", "3": "ok"}
    results = run_at_once([lambda: fr.save_review(review, expert, scores, comments, submit=True)
                           for _ in range(2)])
    assert results[0].submitted_at == results[1].submitted_at
    assert list(history(review).values_list("verb", flat=True)).count("submit-final-report-review") == 1
