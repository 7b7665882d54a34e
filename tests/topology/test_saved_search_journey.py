"""The saved-search journey in real Chromium on the production topology (./run serve, ./run worker, the sweep
as ./run manage sweep), with the digest read from the topology's SMTP server:

a signed-in reader searches, saves the search (daily e-mails) → a day passes (the clock moved: the saved
search's period is set back in the database) and a matching project is published, and one that does not
match → the sweep sends one digest with the matching project only, the second sweep nothing → the digest's
unsubscribe link opens without a log-in, asks to confirm (opening it changes nothing) and stops the e-mails
→ the saved search's feed, reached without a log-in through its token, lists the project. axe-core checks
the save page, the list of saved searches and the unsubscribe page.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from eplus.programme.models import Agency, Country
from eplus.results.models import SavedSearch
from eplus.results.publishing import publish_project_card

from .conftest import log_in_page, verified_user

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

READER = "ilze.reader@library.example"
MATCHING = "Lighthouse keepers' maritime heritage"
OTHER = "Mountain beekeeping for beginners"


@pytest.fixture
def world(live):
    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    agency = Agency.objects.create(code="LV01", name="Latvian agency (fictional)", country=lv)
    reader = verified_user(READER, first_name="Ilze", last_name="Lasītāja")
    return {"agency": agency, "reader": reader}


def _publish(agency, identifier, title, summary):
    today = timezone.localdate()
    return publish_project_card({
        "identifier": identifier, "title": title, "summary_en": summary, "action_type": "KA220-ADU",
        "key_action": "KA2", "call_year": 2026, "start_date": today, "end_date": today + timedelta(days=700),
        "eu_grant": Decimal("120000.00"), "agency": agency,
        "coordinator": {"name": "Kurzeme Adult Learning Centre", "type": "adult-education", "country": "LV",
                        "address": "Jūras iela 3, Liepāja"},
    })


def _sweep_digests(live):
    return int(re.search(r"saved_search_digests: (\d+)", live.manage("sweep")).group(1))


def _submit(page, text):
    with page.expect_navigation():
        page.get_by_role("button", name=text, exact=True).click()
    page.wait_for_load_state()


def test_saved_search_digest_unsubscribe_and_feed(live, topology_page, smtp, assert_accessible, world):
    mailbox = smtp.mailbox
    page = topology_page()
    log_in_page(page, READER)

    # Search, then save the search with its text and a facet filter.
    page.goto("/results/?q=maritime&call_year=2026")
    page.get_by_role("link", name="Save this search").click()
    page.wait_for_load_state()
    assert "maritime" in page.locator(".saved-search-summary").inner_text()
    assert_accessible(page, "save a search")
    page.get_by_label("Name of the saved search").fill("")
    _submit(page, "Save the search")
    assert "There is a problem" in page.locator(".error-summary").inner_text()  # the name is missing
    page.get_by_label("Name of the saved search").fill("Maritime heritage")
    page.get_by_label("Daily").check()
    _submit(page, "Save the search")
    assert "is saved" in page.locator(".messages").inner_text()
    assert "Maritime heritage" in page.locator("main").inner_text()
    assert_accessible(page, "saved searches")
    saved = SavedSearch.objects.get(user=world["reader"])
    assert (saved.query, saved.filters, saved.frequency) == ("maritime", {"call_year": "2026"}, "daily")
    feed_link = page.locator("a.feed-link").get_attribute("href")
    assert saved.feed_token in feed_link

    # The clock moved: a day has passed since the search was saved; then two projects are published.
    day_ago = timezone.now() - timedelta(days=1, hours=2)
    SavedSearch.objects.filter(pk=saved.pk).update(checked_at=day_ago, seen_until=day_ago)
    card = _publish(world["agency"], "2026-1-LV01-KA220-ADU-000900001", MATCHING,
                    "Adult learners record the maritime stories of the Kurzeme coast.")
    _publish(world["agency"], "2026-1-LV01-KA220-ADU-000900002", OTHER, "Adults learn to keep bees in the hills.")
    # They were published half an hour ago: past the digest's settling lag (alerts.SETTLE).
    from eplus.results.models import ProjectCard

    ProjectCard.objects.filter(identifier__startswith="2026-1-LV01-KA220-ADU-0009000").update(
        published_at=timezone.now() - timedelta(minutes=30))

    assert _sweep_digests(live) == 1
    assert _sweep_digests(live) == 0  # nothing new since: nothing sent
    digest = mailbox.wait_for(READER)
    body = mailbox.body(digest)
    assert "Maritime heritage" in str(digest["Subject"])
    assert MATCHING in body and card.identifier in body and OTHER not in body
    project_link = next(url for url in mailbox.links(digest) if f"/results/p/{card.identifier}/" in url)
    assert live.client().get(live.site_path(project_link))[0] == 200
    unsubscribe_link = next(url for url in mailbox.links(digest) if "/results/saved/unsubscribe/" in url)

    # The unsubscribe link, opened by someone who is not logged in: a confirmation first.
    stranger = topology_page()
    stranger.goto(live.site_path(unsubscribe_link))
    assert "Do you want to stop the e-mails" in stranger.locator("main").inner_text()
    assert_accessible(stranger, "unsubscribe")
    saved.refresh_from_db()
    assert saved.frequency == "daily"
    _submit(stranger, "Stop these e-mails")
    assert "no more e-mails" in stranger.locator("main").inner_text()
    saved.refresh_from_db()
    assert saved.frequency == "never"
    # A changed token is refused with a page that says so.
    stranger.goto(live.site_path(unsubscribe_link)[:-3] + "xx/")
    assert "This link does not work" in stranger.locator("main").inner_text()

    # The saved search's feed, without a log-in, lists the project; a wrong token is a 404.
    feed_path = feed_link[feed_link.index("/feeds/"):]
    status, headers, feed = live.client().get(feed_path)
    assert status == 200 and "atom" in headers["Content-Type"]
    assert MATCHING in feed and OTHER not in feed
    assert live.client().get(feed_path.replace(saved.feed_token, "x" + saved.feed_token[1:]))[0] == 404
    assert live.wait_for_tasks() == []
