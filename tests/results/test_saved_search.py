"""Saved searches with e-mail digests and feeds (eplus.results.alerts, views/saved.py): saving needs a log-in,
each user sees only their own, the digest reports a matching new project once and only when due, the
unsubscribe link works without a log-in (GET changes nothing, a changed token is refused), the feed lists
the matching projects and a wrong token is a 404."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.urls import reverse

from eplus.core.audit import history
from eplus.core.models import OutgoingMail
from eplus.results import alerts, publishing
from eplus.results.models import ProjectCard, SavedSearch
from eplus.results.sweep import sweep
from tests.factories import make_user

from .conftest import card_data, finalised_card_with_secrets

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def reader(db):
    return make_user("reader@library.example", email_language="en")


def _publish(lv01, **extra):
    return publishing.publish_project_card(card_data(lv01, **extra))


def _saved(user, query="welding", filters=None, frequency="daily", days_ago=2, name="Welding"):
    """A saved search made ``days_ago`` days ago (the clock moved: its period is over)."""
    return alerts.save_search(user, name, query, filters or {}, frequency,
                              now=timezone.now() - timedelta(days=days_ago))


def _settled():
    """A sweep's moment once what was just published has settled (alerts.SETTLE)."""
    return timezone.now() + alerts.SETTLE + timedelta(seconds=1)


def _digests(to):
    return [m for m in mail.outbox if m.to == [to] and "Erasmus+ project results" in m.subject]


# --- saving and the list ----------------------------------------------------------------------------------

def test_saving_requires_log_in(client):
    response = client.get("/results/saved/new/?q=welding&sector=VET")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post("/results/saved/new/", {"q": "welding", "name": "W", "frequency": "daily"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert SavedSearch.objects.count() == 0
    assert client.get("/results/saved/").status_code == 302


def test_search_page_links_to_saving_the_search(client, lv01):
    _publish(lv01)
    body = client.get("/results/?q=welding&sector=VET").content.decode()
    link = re.search(r'href="(/results/saved/new/[^"]*)"', body).group(1)
    assert "q=welding" in link and "sector=VET" in link


def test_save_the_current_search_with_its_filters(client, reader):
    client.force_login(reader)
    page = client.get("/results/saved/new/?q=welding&sector=VET&call_year=2024&page=3")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="sector" value="VET"' in html and 'name="q" value="welding"' in html and 'name="page"' not in html
    response = client.post("/results/saved/new/", {"q": "welding", "sector": "VET", "call_year": "2024",
                                                    "name": "VET welding", "frequency": "daily"})
    assert response.status_code == 302 and response["Location"] == "/results/saved/"
    saved = SavedSearch.objects.get()
    assert (saved.user, saved.name, saved.query, saved.frequency) == (reader, "VET welding", "welding", "daily")
    assert saved.filters == {"sector": "VET", "call_year": "2024"}
    assert history(saved).filter(action="create", verb="save-search").count() == 1
    listing = client.get("/results/saved/").content.decode()
    assert "VET welding" in listing and f"/feeds/saved/{saved.feed_token}.atom" in listing
    assert "/results/?q=welding" in listing


def test_a_bad_save_keeps_what_was_typed_and_shows_the_error_summary(client, reader):
    client.force_login(reader)
    response = client.post("/results/saved/new/", {"q": "welding", "sector": "VET", "name": "", "frequency": "hourly"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and 'name="q" value="welding"' in html and 'name="sector" value="VET"' in html
    assert SavedSearch.objects.count() == 0


def test_the_list_shows_only_ones_own_searches(client, reader):
    other = make_user("other@library.example")
    mine, theirs = _saved(reader, name="Mine welding"), _saved(other, name="Their robotics")
    client.force_login(reader)
    listing = client.get("/results/saved/").content.decode()
    assert "Mine welding" in listing and "Their robotics" not in listing
    assert client.post(f"/results/saved/{theirs.pk}/delete/").status_code == 404
    assert client.post(f"/results/saved/{theirs.pk}/frequency/", {f"s{theirs.pk}-frequency": "never"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.frequency == "daily"
    assert client.post(f"/results/saved/{mine.pk}/frequency/", {f"s{mine.pk}-frequency": "weekly"}).status_code == 302
    mine.refresh_from_db()
    assert mine.frequency == "weekly"
    assert client.post(f"/results/saved/{mine.pk}/delete/").status_code == 302
    assert list(SavedSearch.objects.all()) == [theirs]


def test_a_wrong_frequency_is_refused_with_a_message(client, reader):
    saved = _saved(reader)
    client.force_login(reader)
    response = client.post(f"/results/saved/{saved.pk}/frequency/", {f"s{saved.pk}-frequency": "hourly"})
    assert response.status_code == 400 and "error-summary" in response.content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "daily"


# --- the digest -------------------------------------------------------------------------------------------

def test_digest_reports_a_new_matching_project_once(reader, lv01):
    saved = _saved(reader, query="welding")
    old = timezone.now() - timedelta(days=5)
    _publish(lv01, title="Welding before the search was saved", published_at=old)
    matching = _publish(lv01, title="Underwater welding for shipyards")
    _publish(lv01, title="Forest robotics", summary_en="Robots count trees in forests.")
    mail.outbox.clear()
    result = sweep(_settled())
    assert result["saved_search_digests"] == 1
    (digest,) = _digests(reader.email)
    assert "Underwater welding for shipyards" in digest.body and matching.identifier in digest.body
    assert "Forest robotics" not in digest.body and "before the search was saved" not in digest.body
    assert OutgoingMail.objects.filter(kind="results/email/digest", related_id=str(saved.pk)).count() == 1
    saved.refresh_from_db()
    assert saved.last_sent_at is not None
    assert history(saved).filter(verb="send-digest").count() == 1

    # The next sweep, and the next day's: nothing new, nothing sent.
    assert sweep(_settled())["saved_search_digests"] == 0
    assert sweep(timezone.now() + timedelta(days=1, hours=1))["saved_search_digests"] == 0
    assert len(_digests(reader.email)) == 1
    assert history(saved).filter(verb="send-digest").count() == 1


def test_digest_respects_filters(reader, lv01):
    _saved(reader, query="", filters={"sector": "SCH"})
    _publish(lv01, title="Vocational welding", action_type="KA220-VET")
    school = _publish(lv01, title="School gardens", action_type="KA220-SCH")
    mail.outbox.clear()
    sweep(_settled())
    (digest,) = _digests(reader.email)
    assert school.title in digest.body and "Vocational welding" not in digest.body


def test_nothing_new_sends_nothing(reader, lv01):
    saved = _saved(reader, query="welding")
    _publish(lv01, title="Forest robotics", summary_en="Robots count trees in forests.")
    mail.outbox.clear()
    assert sweep(_settled())["saved_search_digests"] == 0
    assert _digests(reader.email) == []
    saved.refresh_from_db()
    # The next period starts where this one ended (a daily digest does not creep earlier every day).
    assert saved.last_sent_at is None and saved.checked_at > timezone.now() - alerts.DUE_SLACK - timedelta(minutes=1)


def test_a_daily_digest_keeps_its_hour_with_sweeps_every_few_minutes(reader, lv01):
    start = timezone.now() - timedelta(days=3)
    saved = alerts.save_search(reader, "Welding", "welding", {}, "daily", now=start)
    sent_at = []
    for minutes in range(0, 3 * 24 * 60, 20):  # a sweep every 20 minutes for three days
        moment = start + timedelta(minutes=minutes)
        alerts.send_digest(saved.pk, moment)
        saved.refresh_from_db()
        if saved.checked_at not in sent_at:
            sent_at.append(saved.checked_at)
    starts = [(b - a) for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert starts and all(delta == timedelta(days=1) for delta in starts), starts


def test_weekly_waits_for_its_week_and_daily_for_its_day(reader, lv01):
    weekly = _saved(reader, frequency="weekly", days_ago=2, name="Weekly welding")
    daily_soon = _saved(reader, frequency="daily", days_ago=0, name="Daily welding")
    _publish(lv01, title="Welding robots")
    mail.outbox.clear()
    now = timezone.now()
    assert sweep(now)["saved_search_digests"] == 0  # two days into the week; the daily one was saved just now
    assert sweep(now + timedelta(days=1))["saved_search_digests"] == 1
    assert [d.subject for d in _digests(reader.email)] == ["New on the Erasmus+ project results for “Daily welding”"]
    assert sweep(now + timedelta(days=5, hours=1))["saved_search_digests"] == 1  # the week is over
    assert "Weekly welding" in _digests(reader.email)[-1].subject
    assert len(_digests(reader.email)) == 2
    weekly.refresh_from_db(), daily_soon.refresh_from_db()
    assert weekly.last_sent_at and daily_soon.last_sent_at


def test_digest_reports_newly_published_results_of_matching_projects(reader, lv01, coordinator, coordinator_user,
                                                                     officer):
    card = publishing.publish_project_card(card_data(lv01, coordinator, published_at=timezone.now() - timedelta(days=9)))
    saved = _saved(reader, query="welding")
    finalised_card_with_secrets(card, coordinator_user, officer)
    mail.outbox.clear()
    sweep(_settled())
    (digest,) = _digests(reader.email)
    assert "Open welding handbook" in digest.body and "Secretdraft" not in digest.body
    assert card.title not in digest.body.split("new result")[0]  # the project itself is not new
    saved.refresh_from_db()
    assert saved.last_sent_at is not None


def test_no_email_when_unsubscribed_and_in_the_users_language(reader, lv01):
    saved = _saved(reader)
    alerts.unsubscribe(saved)
    _publish(lv01, title="Welding robots")
    mail.outbox.clear()
    assert sweep(_settled())["saved_search_digests"] == 0
    latvian = make_user("lasitajs@library.example", email_language="lv")
    _saved(latvian, name="Metināšana")
    _publish(lv01, title="Welding robots two")
    sweep(_settled())
    (digest,) = [m for m in mail.outbox if m.to == [latvian.email]]
    assert "Welding robots two" in digest.body and "Metināšana" in digest.subject


# --- unsubscribing --------------------------------------------------------------------------------------

def _digest_with_unsubscribe_link(reader, lv01):
    """A saved search, a matching project published and the sweep run: (saved search, digest, its link)."""
    saved = _saved(reader)
    _publish(lv01, title="Welding robots")
    mail.outbox.clear()
    sweep(_settled())
    (digest,) = _digests(reader.email)
    return saved, digest, re.search(r"https?://\S+/results/saved/unsubscribe/\S+/", digest.body).group(0)


def test_unsubscribe_link_works_without_log_in_and_get_changes_nothing(client, reader, lv01):
    saved, digest, link = _digest_with_unsubscribe_link(reader, lv01)
    path = link[link.index("/results/"):]
    page = client.get(path)
    assert page.status_code == 200 and "Stop these e-mails" in page.content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "daily"  # a mail client's prefetch changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "no more e-mails" in done.content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "never"
    assert history(saved).filter(verb="unsubscribe").count() == 1


def test_the_digest_offers_one_click_unsubscribe_to_mail_clients(reader, lv01):
    """RFC 8058: List-Unsubscribe names the same signed link, and a mail client's POST (no CSRF token, no
    log-in, the body List-Unsubscribe=One-Click) stops the e-mails."""
    from django.test import Client

    saved, digest, link = _digest_with_unsubscribe_link(reader, lv01)
    assert digest.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest.message()["List-Unsubscribe"].replace("\n", "").replace(" ", "") == f"<{link}>"
    mail_client = Client(enforce_csrf_checks=True)
    done = mail_client.post(link[link.index("/results/"):], "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    saved.refresh_from_db()
    assert saved.frequency == "never"


def test_a_tampered_unsubscribe_token_is_refused_with_a_clear_page(client, reader):
    saved = _saved(reader)
    token = alerts.unsubscribe_token(saved)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "nonsense", alerts.unsubscribe_token(saved).replace(":", ":x", 1)):
        for method in (client.get, client.post):
            response = method(f"/results/saved/unsubscribe/{bad}/")
            assert response.status_code == 400 and "This link does not work" in response.content.decode()
    saved.refresh_from_db()
    assert saved.frequency == "daily"


def test_the_token_of_a_deleted_search_is_refused(client, reader):
    saved = _saved(reader)
    token = alerts.unsubscribe_token(saved)
    saved.delete()
    assert client.post(f"/results/saved/unsubscribe/{token}/").status_code == 400


# --- the feed ---------------------------------------------------------------------------------------------

def test_feed_lists_matching_projects_newest_first_and_a_wrong_token_is_a_404(client, reader, lv01):
    saved = _saved(reader, query="welding")
    older = _publish(lv01, title="Welding in 2019", published_at=timezone.now() - timedelta(days=30))
    newer = _publish(lv01, title="Welding robots")
    _publish(lv01, title="Forest robotics", summary_en="Robots count trees in forests.")
    response = client.get(f"/feeds/saved/{saved.feed_token}.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(response.content).iter(f"{ATOM}entry")]
    assert titles == [newer.title, older.title]
    assert client.get(f"/feeds/saved/{saved.feed_token[:-1]}x.atom").status_code == 404
    assert client.get("/feeds/saved/nothing.atom").status_code == 404


def test_feed_shows_public_cards_only(client, reader, lv01):
    saved = _saved(reader, query="welding")
    hidden = _publish(lv01, title="Welding not yet public")
    ProjectCard.objects.filter(pk=hidden.pk).update(published_at=None)
    response = client.get(f"/feeds/saved/{saved.feed_token}.atom")
    assert b"Welding not yet public" not in response.content


def test_too_many_saved_searches_are_refused_with_a_message(client, reader, monkeypatch):
    monkeypatch.setattr(alerts, "MAX_SAVED_SEARCHES", 1)
    _saved(reader)
    client.force_login(reader)
    response = client.post("/results/saved/new/", {"q": "robots", "name": "Robots", "frequency": "weekly"})
    assert response.status_code == 400 and "delete one first" in response.content.decode()
    assert 'name="q" value="robots"' in response.content.decode()
    assert SavedSearch.objects.filter(user=reader).count() == 1


def test_an_unreadable_search_is_not_saved_as_another_one(client, reader):
    client.force_login(reader)
    page = client.get("/results/saved/new/?q=welding&call_year=nineteen")
    assert page.status_code == 400 and "cannot be saved as it is" in page.content.decode()
    assert "Save the search" not in page.content.decode()
    response = client.post("/results/saved/new/", {"q": "welding", "call_year": "nineteen", "name": "W",
                                                    "frequency": "daily"})
    assert response.status_code == 400 and SavedSearch.objects.count() == 0


def test_the_list_costs_the_same_queries_for_one_or_many_searches(client, reader, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(reader)
    alerts.save_search(reader, "Latvia", "welding", {"country": "LV"}, "daily")
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("results:saved_list")).status_code == 200
    for n, code in enumerate(("EE", "LT", "DE", "FR", "PL")):
        alerts.save_search(reader, f"Search {n}", "welding", {"country": code}, "weekly")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("results:saved_list"))
    assert page.status_code == 200 and page.content.decode().count("welding") >= 6
