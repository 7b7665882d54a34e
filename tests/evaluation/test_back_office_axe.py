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
        log_in_reauthenticated(client, user)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1, path
        assert axe_violations(page, impacts=IMPACTS) == [], path
        context.close()

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
