"""N+1 guards of three back-office pages: the requests for review, the figures to verify and the reading view
of an application. Each page is measured with a few items, then with more: the number of queries stays the
same whatever the number of items."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eplus.evaluation import redress
from eplus.evaluation.models import Case
from eplus.programme import verification
from eplus.programme.models import Agency, AgencyMembership
from tests.factories import log_in_reauthenticated, make_officer, make_organisation, make_user, with_mfa

from . import factories as f
from .test_redress import GROUNDS, _released


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def _requested(days_ago=1):
    coordinator, decision = _released(days_ago=days_ago)
    return redress.request_review(decision, GROUNDS, coordinator)


def test_the_redress_list_does_not_grow_with_the_requests(client, programme):
    officer = make_officer("LV01")
    first = _requested()
    log_in_reauthenticated(client, officer)
    url = reverse("evaluation:redress_list")
    _queries(client, url)  # warm the session and the MFA checks
    few, page = _queries(client, url)
    assert first.decision.case.application.number in page
    more = [_requested(days_ago=n) for n in range(2, 6)]
    redress.record_outcome(more[0], "upheld", "The scores stand.", officer)  # a decided one, listed after
    many, page = _queries(client, url)
    assert all(item.decision.case.application.number in page for item in more)
    assert many == few


def _agency_admin():
    user = make_user(first_name="Ada", last_name="Administrator")
    AgencyMembership.objects.create(user=user, agency=Agency.objects.get(code="LV01"), role="admin")
    return with_mfa(user)


def test_the_figures_to_verify_do_not_grow_with_the_checks(client, programme):
    admin, other = _agency_admin(), _agency_admin()
    rows = verification.figures_to_verify()
    assert len(rows) >= 6  # the programme data marks several figures "verify"
    verification.confirm_figure(rows[0].call, rows[0].key, admin, "Programme Guide 2026, Part C")
    log_in_reauthenticated(client, admin)
    url = reverse("programme:figures")
    _queries(client, url)
    few, _page = _queries(client, url)
    for n, row in enumerate(rows[1:6]):  # each confirmed or corrected by someone, shown with their name
        verification.confirm_figure(row.call, row.key, admin if n % 2 else other, "Checked in the Guide")
    many, page = _queries(client, url)
    assert page.count("by Ada Administrator on") == 6
    assert many == few


def _reading_case(partners, items, annexes):
    """A case whose submission lists ``partners`` partner organisations, ``items`` work packages and
    ``annexes`` annexes."""
    case = f.opened_case(partners=[make_organisation(country) for country in ["EE", "LT", "FI", "SE", "DE",
                                                                             "PL"][:partners]])
    submission = case.submission
    snapshot = dict(submission.snapshot)
    snapshot["sections"] = dict(snapshot["sections"], design={"version": 1, "data": {"items": [
        {"title": f"Work package {n}", "objectives": "o", "activities": "a", "results": "r", "indicators": "i",
         "amount": "10000"} for n in range(items)]}})
    snapshot["annexes"] = [{"kind": "mandate", "name": f"mandate-{n}.pdf", "size": 1000 + n, "sha256": f"{n:064d}"}
                           for n in range(annexes)]
    type(submission).objects.filter(pk=submission.pk).update(snapshot=snapshot)  # test data: as if submitted so
    return Case.objects.get(pk=case.pk)


def test_the_reading_view_does_not_grow_with_organisations_work_packages_and_annexes(client, programme):
    officer = make_officer("LV01")
    small = _reading_case(partners=1, items=1, annexes=1)
    large = _reading_case(partners=6, items=8, annexes=6)
    log_in_reauthenticated(client, officer)
    small_url = reverse("evaluation:case_application", args=[small.pk])
    large_url = reverse("evaluation:case_application", args=[large.pk])
    _queries(client, small_url)
    few, page = _queries(client, small_url)
    assert "Work package 0" in page and "mandate-0.pdf" in page
    many, page = _queries(client, large_url)
    assert "Work package 7" in page and "mandate-5.pdf" in page
    assert all(o.legal_name in page for o in
               [p.organisation for p in large.application.participations.select_related("organisation")])
    assert many == few
