"""axe-core (WCAG 2.1 A/AA, every impact) in Chromium on every page issue 14 added, in English at 1280 px and in
Latvian at 390 px: the experts of a final report (officer), the expert's declaration and scoring pages, the
final decision and claims (beneficiary and agency), the debit note, the termination pages, the checks (list
and one check, agency; the shared ones, beneficiary). Each page has one h1 and every radio or checkbox group
a legend."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from eplus.evaluation import final_reports as fr
from eplus.projects import claims, monitoring
from tests.conftest import axe_violations
from tests.factories import log_in_reauthenticated
from tests.projects.conftest import ka210, make_application, people  # noqa: F401 - fixtures
from tests.projects.test_recovery import NOTIFIED, approve_with_score_42

from . import factories as f
from .test_final_report_review import final, ka220  # noqa: F401 - fixtures

IMPACTS = ("minor", "moderate", "serious", "critical")

GROUPS_WITHOUT_LEGEND = """() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
  .filter(i => {
    const group = document.querySelectorAll(`input[name="${i.name}"]`).length > 1 || i.type === 'radio';
    const fieldset = i.closest('fieldset');
    return group && !(fieldset && fieldset.querySelector('legend'));
  }).map(i => i.name)"""


def _pages(ka210, ka220, final, people, capture):  # noqa: F811
    officer, coordinator = people["officer"], people["coordinator"]
    expert = f.expert()
    review = fr.assign_expert(final, expert, officer)
    scoring = fr.assign_expert(final, f.expert(), officer)
    fr.declare(scoring, True, "", scoring.expert)
    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, capture)
    with freeze_time("2026-11-20 09:00:00"):  # within the claim period of the decision of 2 November
        claims.file_claim(ka210, coordinator, "The handbook was delivered.")
    check = monitoring.save_check(ka210, officer, {
        "kind": "audit", "status": "done", "done_on": date(2026, 11, 30), "findings": "Two weeks missing.",
        "proposed_action": "reduction", "proposed_amount": Decimal("5000.00")})
    monitoring.share_check(check, officer)
    return [
        (officer, reverse("evaluation:final_report", args=[final.pk])),
        (expert, reverse("evaluation:final_report_review", args=[review.pk])),
        (scoring.expert, reverse("evaluation:final_report_review", args=[scoring.pk])),
        (coordinator, reverse("projects:claims", args=[ka210.pk])),
        (officer, reverse("projects:agency_claims", args=[ka210.pk])),
        (coordinator, reverse("projects:debit_note", args=[ka210.pk, note.pk])),
        (officer, reverse("projects:debit_note", args=[ka210.pk, note.pk])),
        (coordinator, reverse("projects:termination", args=[ka220.pk])),
        (officer, reverse("projects:agency_termination", args=[ka220.pk])),
        (officer, reverse("projects:agency_checks", args=[ka210.pk])),
        (officer, reverse("projects:agency_check", args=[ka210.pk, check.pk])),
        (coordinator, reverse("projects:checks", args=[ka210.pk])),
    ]


@pytest.mark.e2e
def test_the_post_award_pages_pass_axe_in_both_languages_and_widths(
        ka210, ka220, final, people, live_server, browser, client, django_capture_on_commit_callbacks):  # noqa: F811
    pages = _pages(ka210, ka220, final, people, django_capture_on_commit_callbacks)
    for user, path in pages:
        log_in_reauthenticated(client, user)
        # English at 1280 px and Latvian at 390 px: both languages and both widths, in half the runs.
        for language, width in (("en", 1280), ("lv", 390)):
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.add_cookies([
                {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url},
                {"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            response = page.goto(live_server.url + path)
            where = (path, language, width)
            assert response.status == 200, where
            assert page.locator("html").get_attribute("lang") == language, where
            assert page.locator("h1").count() == 1, where
            assert page.evaluate(GROUPS_WITHOUT_LEGEND) == [], where
            assert axe_violations(page, impacts=IMPACTS) == [], where
            context.close()
