"""Results that stay reachable (issue 15, item 5): the sweep checks public links against a real HTTP server
on 127.0.0.1 (no mock), politely (at most so many per run and per host, each at most once per period),
safely (never an address of the server's own networks, redirects included), flags broken ones to the
card's managers once and shows the public "link reported broken on DATE"; a result removed after its
publication leaves a notice with the date instead of a 404."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from eplus.core import time as clock
from eplus.core.models import AuditEvent
from eplus.results import links
from eplus.results.models import LinkCheck, RemovedResult

from .conftest import finalised_card_with_secrets

pytestmark = pytest.mark.django_db


class _Handler(BaseHTTPRequestHandler):
    seen = []
    answers = {}  # path -> status, set by a test: the site is mended or breaks

    def _answer(self, send_body):
        _Handler.seen.append((self.command, self.path, self.headers.get("User-Agent", "")))
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path == "/inside":  # a redirect to the cloud's metadata address
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
            self.end_headers()
            return
        code = _Handler.answers.get(self.path) or {"/gone": 404, "/robots-only": 403, "/error": 503}.get(self.path, 200)
        self.send_response(code)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if send_body:
            self.wfile.write(b"ok")

    def do_HEAD(self):  # noqa: N802 - the http.server API
        self._answer(False)

    def do_GET(self):  # noqa: N802
        self._answer(True)

    def log_message(self, *args):
        pass


@pytest.fixture
def site(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen, _Handler.answers = [], {}
    settings.LINK_CHECK_PRIVATE_HOSTS = ("127.0.0.1",)
    settings.LINK_CHECK_TIMEOUT_SECONDS = 0.5
    settings.LINK_CHECK_PER_RUN = 200  # off in the other tests (tests/conftest.py)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def published(card, coordinator_user, officer):
    card, public, hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    return card, public


def _set_link(card, result, user, link):
    """The result's link as the beneficiary wrote it before the approval (approved results are locked)."""
    from eplus.results.models import Result

    Result.objects.filter(pk=result.pk).update(link=link)


def test_fetching_tells_broken_from_reachable(site):
    assert links.fetch_status(f"{site}/ok") == (200, "")
    assert links.fetch_status(f"{site}/no-head") == (200, "")  # HEAD refused: asked again with GET
    assert ("GET", "/no-head") in [(m, p) for m, p, _a in _Handler.seen]
    assert links.fetch_status(f"{site}/gone")[0] == 404
    for path, broken in (("/ok", False), ("/gone", True), ("/robots-only", False), ("/error", True)):
        assert links.is_broken(*links.fetch_status(site + path)) is broken, path
    status, problem = links.fetch_status(f"{site}/slow")
    assert status is None and problem and links.is_broken(status, problem)
    assert all(agent.startswith("eplus link checker") for _m, _p, agent in _Handler.seen)


def test_never_an_address_of_our_own_networks(settings, site):
    settings.LINK_CHECK_PRIVATE_HOSTS = ()
    for url in ("http://127.0.0.1:9/", "http://10.1.2.3/", "http://169.254.169.254/latest/", "file:///etc/passwd",
                "ftp://example.org/", "http://[::1]/"):
        status, problem = links.fetch_status(url)
        assert status is None and problem, url
    for url in ("http://100.100.100.200/latest/meta-data/", "http://[::ffff:127.0.0.1]/", "http://[2002:7f00:1::]/",
                "http://example.org:6379/", "http://example.org:99999/"):
        status, problem = links.fetch_status(url)  # CGNAT (a cloud's metadata), IPv4 in IPv6, other ports
        assert status is None and problem, url
    settings.LINK_CHECK_PRIVATE_HOSTS = ("127.0.0.1",)
    status, problem = links.fetch_status(f"{site}/inside")  # allowed host, redirect inside: refused
    assert status is None and "own networks" in problem


def test_a_name_that_resolves_inside_on_the_second_lookup_is_refused(settings, site, monkeypatch):
    """DNS rebinding: the name looks public when checked and points at the server itself when connected to.
    (The resolver is the one thing replaced: no DNS server that rebinds runs here.)"""
    import socket

    settings.LINK_CHECK_PRIVATE_HOSTS = ()
    port = int(site.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _Handler.seen = []
    status, problem = links.fetch_status(f"http://rebind.example:{port}/internal-admin".replace(f":{port}", ""))
    assert status is None and "own networks" in problem
    assert not any(path == "/internal-admin" and method == "GET" for method, path, _a in _Handler.seen)


def test_a_malformed_stored_link_does_not_stop_the_sweep(site, published, coordinator_user):
    card, result = published
    _set_link(card, result, coordinator_user, "http://example.org:99999/")  # accepted by URLField
    card.website = f"{site}/ok"
    card.save()
    counts = links.check_links(clock.now())
    assert counts["links_checked"] == 1 and counts["links_found_broken"] == 0  # the website; the bad value skipped


def test_the_sweep_flags_a_broken_link_once_tells_the_managers_and_shows_it(client, site, published,
                                                                            coordinator_user):
    card, result = published
    _set_link(card, result, coordinator_user, f"{site}/gone")
    card.website = f"{site}/error"
    card.save()
    now = clock.now()
    mail.outbox.clear()
    counts = links.check_links(now)
    assert counts == {"links_checked": 2, "links_found_broken": 2, "links_found_again": 0}
    check = LinkCheck.objects.get(target=f"result:{result.pk}")
    assert check.status == 404 and check.broken_since == clock.to_brussels(now).date()
    assert LinkCheck.objects.get(target=f"card:{card.pk}").status == 503
    assert AuditEvent.objects.filter(verb="link-found-broken", object_id=str(check.pk)).count() == 1
    told = [m for m in mail.outbox if card.identifier in m.subject]
    assert [m.to for m in told] == [[coordinator_user.email]]  # one e-mail for both links
    assert f"{site}/gone" in told[0].body and f"{site}/error" in told[0].body
    # The public pages say so, beside the link: the website on the project page, the link on the result's.
    day = f"{check.broken_since.day} {check.broken_since:%B} {check.broken_since.year}"
    for url, link in ((reverse("results:project", args=[card.identifier]), f"{site}/error"),
                      (reverse("results:result", args=[card.identifier, result.pk]), f"{site}/gone")):
        page = client.get(url).content.decode()
        assert link in page and f"link reported broken on {day}" in page, url
    # Within the period nothing is checked again.
    assert links.check_links(now + timedelta(hours=1))["links_checked"] == 0
    # A changed link is checked at once, and what was found of the old one no longer counts.
    _set_link(card, result, coordinator_user, f"{site}/ok")
    counts = links.check_links(now + timedelta(hours=2))
    assert counts["links_checked"] == 1 and LinkCheck.objects.get(target=f"result:{result.pk}").broken_since is None
    page = client.get(reverse("results:result", args=[card.identifier, result.pk])).content.decode()
    assert "link reported broken" not in page
    assert len([m for m in mail.outbox if card.identifier in m.subject]) == 1  # told once


def test_a_link_that_works_again_is_no_longer_flagged(client, site, published, coordinator_user, settings):
    card, _result = published
    card.website = f"{site}/error"
    card.save()
    now = clock.now()
    assert links.check_links(now)["links_found_broken"] == 1
    settings.LINK_CHECK_EVERY_DAYS, settings.LINK_CHECK_BROKEN_AGAIN_DAYS = 30, 1
    assert links.check_links(now + timedelta(hours=12))["links_checked"] == 0
    # A broken link is looked at again the next day (not in a month): still broken, nobody told twice.
    counts = links.check_links(now + timedelta(days=1, hours=1))
    assert counts == {"links_checked": 1, "links_found_broken": 0, "links_found_again": 0}
    _Handler.answers["/error"] = 200  # the site is mended
    counts = links.check_links(now + timedelta(days=2, hours=2))
    assert counts == {"links_checked": 1, "links_found_broken": 0, "links_found_again": 1}
    assert links.check_links(now + timedelta(days=4))["links_checked"] == 0  # working: in a month again
    assert AuditEvent.objects.filter(verb="link-found-again").count() == 1
    assert "link reported broken" not in client.get(reverse("results:project", args=[card.identifier])) \
        .content.decode()


def test_politeness_limits_per_run_and_per_host(site, published, coordinator_user, settings):
    card, result = published
    from eplus.results.models import Result

    for n in range(6):
        Result.objects.create(card=card, title=f"Extra {n}", result_type="handbook", description_en="More.",
                              link=f"{site}/ok?{n}", public=True, published_at=clock.now())
    settings.LINK_CHECK_PER_HOST = 3
    assert len(links.due_links(clock.now())) == 3
    settings.LINK_CHECK_PER_HOST = 50
    settings.LINK_CHECK_PER_RUN = 4
    assert len(links.due_links(clock.now())) == 4


def test_a_result_withdrawn_after_publication_leaves_a_notice(client, published, officer, coordinator_user):
    from eplus.results import workflow

    card, result = published
    url = reverse("results:result", args=[card.identifier, result.pk])
    assert client.get(url).status_code == 200
    with pytest.raises(ValidationError):
        workflow.withdraw_result(result, officer, "  ")
    with pytest.raises(PermissionDenied):
        workflow.withdraw_result(result, coordinator_user, "Mine.")
    mail.outbox.clear()
    workflow.withdraw_result(result, officer, "The photos show pupils without their parents' consent.")
    assert workflow.withdraw_result(result, officer, "Again.").public is False  # nothing new
    assert AuditEvent.objects.filter(verb="withdraw-result").count() == 1
    assert [m.to for m in mail.outbox if card.identifier in m.subject] == [[coordinator_user.email]]
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 410 and "A result of this project was removed on" in body
    assert result.title not in body  # it may be why it was withdrawn
    assert RemovedResult.objects.filter(card=card, result_id=result.pk).count() == 1
    assert client.get(reverse("results:result", args=[card.identifier, result.pk + 999])).status_code == 404


def test_the_officer_withdraws_from_the_review_page(client, published, officer):
    from tests.factories import log_in_reauthenticated

    card, result = published
    log_in_reauthenticated(client, officer)
    review = reverse("results:review", args=[card.identifier])
    withdraw = reverse("results:withdraw_result", args=[card.identifier, result.pk])
    assert withdraw in client.get(review).content.decode()
    refused = client.post(withdraw, {"reason": ""}, follow=True)
    assert "Give the reason" in refused.content.decode()
    assert client.post(withdraw, {"reason": "Copyright complaint upheld."}).status_code == 302
    assert RemovedResult.objects.filter(result_id=result.pk).exists()
    assert client.post(withdraw, {"reason": "Again."}).status_code == 404  # no longer public
