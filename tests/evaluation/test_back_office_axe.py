"""axe-core (WCAG 2.1 A/AA, every impact) in Chromium on the pages issue 13 added or changed: each role's home
page, the case page with its reading view, the expert's declaration and assessment pages, the figures to
verify, and the organisation page with its PIC form."""

import pytest
from django.urls import reverse

from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AssignmentRole
from eplus.programme.models import Agency, AgencyMembership
from tests.conftest import axe_violations
from tests.factories import log_in_reauthenticated, make_officer, make_user, with_mfa

from . import factories as f
from .test_reading_view import submitted_case  # noqa: F401 - the fixture

IMPACTS = ("minor", "moderate", "serious", "critical")


def _check(client, browser, live_server, user, path, open_details=False):
    """axe on ``path`` as ``user`` at 1280 px; ``open_details``: with every <details> opened first."""
    log_in_reauthenticated(client, user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + path)
    if open_details:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.locator("h1").count() == 1, path
    assert axe_violations(page, impacts=IMPACTS) == [], path
    context.close()


@pytest.mark.e2e
def test_the_after_release_pages_and_the_error_pages_pass_axe(programme, live_server, browser, client):
    """The case page with its agreement and the form to award less, the ranking with the reserve list after
    the release, the decision page with the form to decline, and the site's 404 page."""
    from .test_reserve import _released_group

    officer, coordinator, (first, _second, _reserve_one, _two) = _released_group()
    for user, path in [
        (officer, first.get_absolute_url()),
        (officer, reverse("evaluation:ranking", args=[first.call_id, first.sector])),
        (coordinator, reverse("evaluation:decision", args=[first.application_id])),
        (officer, "/no-such-page/"),
    ]:
        _check(client, browser, live_server, user, path, open_details=True)


@pytest.mark.e2e
def test_the_new_back_office_pages_pass_axe(submitted_case, live_server, browser, client):  # noqa: F811
    case = submitted_case
    officer = make_officer()
    admin = with_mfa(make_user())
    AgencyMembership.objects.create(user=admin, agency=Agency.objects.get(code="LV01"), role="admin")
    expert = f.expert()
    confirm_formal_check(case, True, "Checked.", officer)
    to_declare = assign(case, expert, AssignmentRole.FIRST, officer)
    coordinator = case.application.applicant.memberships.first().user

    def check(user, path):
        _check(client, browser, live_server, user, path)

    for user, path in [
        (officer, reverse("dashboard")), (officer, case.get_absolute_url()),
        (officer, reverse("evaluation:case_application", args=[case.pk])),
        (officer, reverse("evaluation:workspace")),
        (expert, reverse("dashboard")), (expert, reverse("evaluation:assessment", args=[to_declare.pk])),
        (admin, reverse("programme:figures")),
        (coordinator, reverse("dashboard")), (coordinator, case.application.applicant.get_absolute_url()),
        (coordinator, reverse("applications:detail", args=[case.application.pk])),
    ]:
        check(user, path)
    declare(to_declare, True, "", expert)
    check(expert, reverse("evaluation:assessment", args=[to_declare.pk]))
