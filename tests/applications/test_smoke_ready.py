from eplus.applications import eligibility, statuses

from .conftest import make_ready


def test_a_filled_application_has_no_blocking_problem(application, coordinator, partners):
    make_ready(application, coordinator, partners)
    verdict = eligibility.evaluate(application)
    problems = statuses.blocking_problems(application, verdict)
    assert verdict.errors == ()
    assert problems == []
