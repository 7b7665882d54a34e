"""Results that stay reachable (issue 15, item 5): the sweep checks the public links — each public result's
link and each published project's website — and flags the broken ones.

**Politely.** A link is checked at most once every ``LINK_CHECK_EVERY_DAYS`` days (one found broken again
after ``LINK_CHECK_BROKEN_AGAIN_DAYS``, so that a server down for an hour is not flagged for a month), at most
``LINK_CHECK_PER_RUN`` links per sweep (never checked or checked longest ago first), ``LINK_CHECK_PER_HOST``
per host and sweep, within ``LINK_CHECK_BUDGET_SECONDS``, one sweep at a time (a PostgreSQL advisory lock);
a HEAD request, then a GET when HEAD does not find the page, ``LINK_CHECK_TIMEOUT_SECONDS`` each, with a
user agent that names the platform.

**Safely.** The URLs are typed by beneficiaries (or imported) and fetched by our server: only http(s) on the
web's ports, no proxy from the environment, and the address each connection actually reached must be public
on the internet — checked on the connected socket, so a name that resolves elsewhere the second time (DNS
rebinding) or a redirect cannot lead to the server's own networks, a cloud's metadata address, CGNAT or IPv4
wrapped in IPv6. ``LINK_CHECK_PRIVATE_HOSTS`` lists hosts allowed anyway (the tests' local server). A stored
value that is no web address is not checked (and not called broken); the pages never link it.

**Broken** means: no answer (refused, timed out, a name that does not resolve) or an HTTP status of 404, 410
or 5xx. 401/403/429 are sites that refuse robots, not broken pages: they count as reachable. A link found
broken is flagged once (an audit event; the card's managers get an e-mail) and the public pages say "link
reported broken on DATE" beside it until a later check finds it again.

**Removed results.** A result the agency withdraws after its publication leaves a :class:`RemovedResult`
notice: its public address answers 410 "A result of this project was removed on DATE" (without the title,
which may be why it was withdrawn) instead of a bare 404, while the project's card is public.
"""

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from eplus.core import time as clock
from eplus.core.audit import record

from .models import LinkCheck, ProjectCard, RemovedResult, Result
from .page_cache import bump_public_cache

BROKEN_STATUSES = {404, 410}


# --- fetching ---------------------------------------------------------------------------------------------

class Refused(Exception):
    """A URL we do not fetch (a scheme other than http(s), a port other than the web's, an address that is not
    public on the internet)."""


class NotCheckable(Exception):
    """A stored value that is no web address at all (no http(s) scheme, no host): not checked, not "broken"."""


ALLOWED_PORTS = {None, 80, 443, 8080, 8443}


def _public_address(address):
    """Whether ``address`` (an IP as text) is on the public internet, IPv4 inside IPv6 unwrapped."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


def _private_allowed(host):
    return host in settings.LINK_CHECK_PRIVATE_HOSTS


def _parts(url):
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # ValueError for "host:99999"
    except ValueError as exc:
        raise NotCheckable(f"not a valid address: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotCheckable("not an http(s) address")
    return parts, port


def _check_url(url):
    """Refuse what we never fetch before any connection: another scheme or port, a name whose addresses are
    none of them public (the address actually connected to is checked again on connecting)."""
    parts, port = _parts(url)
    host = parts.hostname
    if _private_allowed(host):
        return
    if port not in ALLOWED_PORTS:
        raise Refused("a port other than the web's")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError) as exc:
        raise urllib.error.URLError(f"the name does not resolve: {exc}") from exc
    if not any(_public_address(address) for address in addresses):
        raise Refused("an address of the server's own networks")


def _check_peer(sock, host):
    """The address the socket is connected to must be public: checked after connecting, so that a name
    resolving to another address the second time (DNS rebinding) cannot lead inside."""
    if _private_allowed(host):
        return
    if not _public_address(sock.getpeername()[0]):
        sock.close()
        raise Refused("an address of the server's own networks")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        _check_peer(self.sock, self.host)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        # Connect in plain TCP first, check where we are, then start TLS on that socket.
        http.client.HTTPConnection.connect(self)
        _check_peer(self.sock, self.host)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=ssl.create_default_context())


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            _check_url(newurl)  # a redirect must not lead to another scheme or port either
        except NotCheckable as exc:
            raise Refused(str(exc)) from exc
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener():
    # No proxy from the environment: it would connect for us, past the address check.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler, _HTTPSHandler,
                                       _CheckedRedirects)


def _unwrap(exc):
    """The Refused hidden in a URLError (urllib wraps what connect() raises), else None."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, Refused) else None


def fetch_status(url):
    """(HTTP status or None, problem): a HEAD, and a GET when HEAD does not say the page is there (servers
    that refuse or mishandle HEAD); redirects followed, each hop checked."""
    timeout = settings.LINK_CHECK_TIMEOUT_SECONDS
    agent = f"eplus link checker (+{settings.SITE_URL.rstrip('/')}/)"
    try:
        _check_url(url)
    except (Refused, NotCheckable) as exc:
        return None, str(exc)
    except urllib.error.URLError as exc:
        return None, str(exc.reason)[:200]
    answer = (None, "no answer")
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method, headers={"User-Agent": agent})
        try:
            with _opener().open(request, timeout=timeout) as response:
                return response.status, ""
        except urllib.error.HTTPError as exc:
            answer = (exc.code, "")
        except Refused as exc:
            return None, str(exc)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
            refused = _unwrap(exc)
            if refused is not None:
                return None, str(refused)
            reason = getattr(exc, "reason", exc)
            answer = (None, str(reason)[:200] or exc.__class__.__name__)
        if answer[0] is not None and answer[0] < 400:
            return answer
    return answer  # the GET's answer: e.g. 403 to robots counts as reachable (is_broken)


def is_broken(status, problem):
    if status is None:
        return bool(problem)
    return status in BROKEN_STATUSES or status >= 500


# --- what to check ----------------------------------------------------------------------------------------

def _targets():
    """(target key, card id, result id or None, url) of every public link."""
    from .public import PUBLIC_RESULT_Q

    for pk, website in (ProjectCard.objects.filter(published_at__isnull=False).exclude(website="")
                        .values_list("pk", "website")):
        yield f"card:{pk}", pk, None, website
    for pk, card_id, link in Result.objects.filter(PUBLIC_RESULT_Q).exclude(link="").values_list(
            "pk", "card_id", "link"):
        yield f"result:{pk}", card_id, pk, link


def due_links(now, limit=None, per_host=None):
    """The links to check now, the ones never checked or checked longest ago first, within the limits: each
    at most once in ``LINK_CHECK_EVERY_DAYS``, one found broken again after ``LINK_CHECK_BROKEN_AGAIN_DAYS``
    (a server down for an hour is not flagged for a month). Values that are no web address are skipped."""
    limit = settings.LINK_CHECK_PER_RUN if limit is None else limit
    per_host = settings.LINK_CHECK_PER_HOST if per_host is None else per_host
    if limit <= 0:
        return []
    every = timedelta(days=settings.LINK_CHECK_EVERY_DAYS)
    broken_again = timedelta(days=settings.LINK_CHECK_BROKEN_AGAIN_DAYS)
    checks = {target: (url, checked_at, broken_since) for target, url, checked_at, broken_since in
              LinkCheck.objects.values_list("target", "url", "checked_at", "broken_since").iterator()}
    due = []
    for target, card_id, result_id, url in _targets():
        try:
            parts, _port = _parts(url)
        except NotCheckable:
            continue
        last_url, checked_at, broken_since = checks.get(target, (None, None, None))
        if last_url == url:
            wait = broken_again if broken_since is not None else every
            if checked_at > now - wait:
                continue
        else:
            checked_at = None
        due.append((checked_at, target, card_id, result_id, url, parts.hostname.lower()))
    due.sort(key=lambda row: (row[0] is not None, row[0] or now, row[1]))
    hosts, chosen = Counter(), []
    for _when, target, card_id, result_id, url, host in due:
        if hosts[host] >= per_host:
            continue
        hosts[host] += 1
        chosen.append((target, card_id, result_id, url))
        if len(chosen) >= limit:
            break
    return chosen


# --- the sweep --------------------------------------------------------------------------------------------

_LOCK_KEY = 0x65706C75  # "eplu": one link check at a time on a database (PostgreSQL advisory lock)


def _one_at_a_time():
    """Whether this sweep may check links now: on PostgreSQL a session lock that an overlapping sweep cannot
    take (it then checks nothing, so no link is fetched twice); elsewhere (the SQLite demo) always."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
        return cursor.fetchone()[0]


def _release():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])


def check_links(now, fetch=fetch_status):
    """Check the due links and record what was found; {"links_checked", "links_found_broken",
    "links_found_again"}. Idempotent within the periods of :func:`due_links`; within a time budget of
    ``LINK_CHECK_BUDGET_SECONDS``; one sweep at a time."""
    counts = {"links_checked": 0, "links_found_broken": 0, "links_found_again": 0}
    if not _one_at_a_time():
        return counts
    try:
        return _check(now, fetch, counts)
    finally:
        _release()


def _check(now, fetch, counts):
    forgotten = 0
    newly_broken = []
    deadline = time.monotonic() + settings.LINK_CHECK_BUDGET_SECONDS
    for target, card_id, result_id, url in due_links(now):
        if time.monotonic() > deadline:
            break  # the rest waits for the next sweep
        try:
            status, problem = fetch(url)
        except Exception as exc:  # noqa: BLE001 - one odd link must not stop the others' checks
            status, problem = None, f"{exc.__class__.__name__}: {exc}"[:200]
        bad = is_broken(status, problem)
        with transaction.atomic():
            check, _created = LinkCheck.objects.select_for_update().get_or_create(
                target=target, defaults={"card_id": card_id, "result_id": result_id, "url": url, "checked_at": now})
            if check.url != url:  # the link was changed since: what was found of the old one no longer counts
                forgotten += check.broken_since is not None
                check.url, check.broken_since = url, None
            was_broken = check.broken_since is not None
            check.checked_at, check.status, check.problem = now, status, problem
            if bad and not was_broken:
                check.broken_since = clock.to_brussels(now).date()
                counts["links_found_broken"] += 1
                newly_broken.append(check)
                record(check, "update", verb="link-found-broken", reason=problem or f"HTTP {status}",
                       changes={"url": url, "status": status})
            elif not bad and was_broken:
                check.broken_since = None
                counts["links_found_again"] += 1
                record(check, "update", verb="link-found-again", changes={"url": url, "status": status})
            check.save()
        counts["links_checked"] += 1
    if counts["links_found_broken"] or counts["links_found_again"] or forgotten:
        bump_public_cache()
    _tell_managers(newly_broken)
    return counts


def _tell_managers(checks):
    """One e-mail per card to its managers (none for imported records) naming its newly broken links."""
    from .notify import coordinator_recipients, send_card_mail

    by_card = {}
    for check in checks:
        by_card.setdefault(check.card_id, []).append(check)
    for card in ProjectCard.objects.filter(pk__in=by_card).select_related("coordinator", "agency"):
        send_card_mail(card, "link_broken", coordinator_recipients(card), {"checks": by_card[card.pk]})


# --- what the pages show ----------------------------------------------------------------------------------

def broken_links(identifier):
    """{url: the date it was found broken} of the card's public links (its website and its results'), in one
    query: the project and result pages show the date beside each such link."""
    return dict(LinkCheck.objects.filter(card__identifier=identifier, broken_since__isnull=False)
                .values_list("url", "broken_since"))


def note_removal(result, now=None):
    """A result deleted or hidden after its publication leaves a notice at its public address."""
    if result.published_at is None:
        return None
    notice, _created = RemovedResult.objects.update_or_create(
        card_id=result.card_id, result_id=result.pk,
        defaults={"title": result.title, "removed_at": now or clock.now()})
    return notice


def removal_notice(identifier, result_id):
    """The notice of a result removed from a card that is still public (else nothing: a 404)."""
    return (RemovedResult.objects.filter(card__identifier=identifier, result_id=result_id,
                                         card__published_at__isnull=False).select_related("card").first())

