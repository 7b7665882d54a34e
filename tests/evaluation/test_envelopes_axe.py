"""The new back-office pages of issue 13 (items 2 and 8) in Chromium pass axe with no violation of any impact:
the envelopes list, an envelope with its change form (and its error summary), the new-envelope and transfer
forms, the ranking page with the what-if preview and the reserve list, and the decision page with the decline
form."""

import pytest
from django.urls import reverse

from eplus.programme.models import AgencyMembership
from tests.conftest import axe_violations
from tests.organisations.conftest import mark_reauthenticated

from . import factories as f
from .test_reserve import _released_group

pytestmark = pytest.mark.e2e
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


@pytest.fixture
def open_as(live_server, browser, client):
    contexts = []

    def open_page(user, path):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        client.force_login(user)
        mark_reauthenticated(client, user)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_the_envelope_ranking_and_decline_pages_pass_axe(programme, open_as):
    officer, coordinator, (first, _second, _reserve_one, _reserve_two) = _released_group()
    boss = f.with_mfa(f.user())
    AgencyMembership.objects.create(user=boss, agency=first.agency, role="admin")
    from eplus.evaluation import envelopes

    envelope = envelopes.find(first.agency, first.call, "VET")
    ranking = reverse("evaluation:ranking", args=[first.call_id, "VET"])
    pages = [
        (boss, reverse("evaluation:envelopes")),
        (boss, reverse("evaluation:envelope", args=[envelope.pk])),
        (officer, reverse("evaluation:envelope", args=[envelope.pk])),
        (boss, reverse("evaluation:envelope_new")),
        (boss, reverse("evaluation:envelope_transfer")),
        (officer, ranking + "?preview=1&whatif-amount=900000&whatif-reserve_size=1"),
        (officer, ranking + "?preview=1&whatif-amount=-1"),
        (coordinator, reverse("evaluation:decision", args=[first.application_id])),
    ]
    for user, path in pages:
        page = open_as(user, path)
        assert page.locator("h1").count() == 1, path
        assert axe_violations(page, impacts=ALL_IMPACTS) == [], path
    # A form sent back with its errors: the error summary and the fields stay accessible.
    page = open_as(boss, reverse("evaluation:envelope", args=[envelope.pk]))
    page.get_by_label("New amount (EUR)").fill("-5")
    page.get_by_role("button", name="Change the amount").click()
    assert page.locator(".error-summary").is_visible()
    assert axe_violations(page, impacts=ALL_IMPACTS) == []
    page = open_as(coordinator, reverse("evaluation:decision", args=[first.application_id]))
    page.get_by_text("Decline the grant", exact=True).first.click()
    page.get_by_role("button", name="Decline the grant").click()
    assert page.locator(".error-summary").is_visible()
    assert axe_violations(page, impacts=ALL_IMPACTS) == []
