"""Saved searches and their alerts: a signed-in user keeps a public search (its text and facet filters, as
the search page has them), gets a daily or weekly e-mail digest of what is new for it, and has an Atom feed.

Why it works the way it does:

- **What is new** is decided by the high-water mark ``SavedSearch.seen_until``: a digest reports the public
  cards and the public results published after it (``published_at``) and up to the sweep's ``now``, then
  moves the mark to ``now``. A card or a result is therefore reported once at most, and a new saved search
  starts from the moment it was saved (the projects already public are what the search page shows).
- **When** is ``checked_at``, the start of the current period: the sweep (``./run manage sweep``, through
  eplus.results.sweep) looks at a saved search once its day or week has passed (less DUE_SLACK, so that a
  daily cron job running a few minutes early still finds it due), and starts the next period whether or not
  anything was new. Nothing new → no e-mail.
- **Only one digest** when two sweeps run at once: the saved search's row is locked with the "is due"
  condition, so the second sweep waits and then finds it no longer due (PostgreSQL re-checks the condition
  on the locked row), and the e-mail is written to the outbox in the same transaction as the new mark.
- **Unsubscribing without logging in**: the link in each digest carries a token signed with the site's
  SECRET_KEY (django.core.signing) bound to the saved search; GET only asks to confirm (mail clients and
  scanners prefetch links), POST stops the e-mails. The digest also carries that link as its
  List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058): a mail client's own "unsubscribe" button
  POSTs to it without a CSRF token — the signed token is the proof, as for the link.
- **The feed** is reached through ``feed_token``, a random, unguessable value (a feed reader cannot log in).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import ngettext

from eplus.core.audit import acting_as
from eplus.core.mail import language_of, queue_templated_mail

from . import public, search
from .models import ProjectStatus, ResultType, SavedSearch

PERIODS = {SavedSearch.Frequency.DAILY: timedelta(days=1), SavedSearch.Frequency.WEEKLY: timedelta(days=7)}
# A period counts as over this much before its end: the sweep's own schedule drifts by minutes.
DUE_SLACK = timedelta(hours=1)
# What was published in the last SETTLE is left for the next digest: a card or result is stamped before its
# transaction commits (and its search row may follow), so the mark never passes what is not visible yet.
SETTLE = timedelta(minutes=15)
# At most this many cards and this many results are listed in one digest (the rest: a link to the search).
DIGEST_LIMIT = 50
FEED_LIMIT = 50
# A user keeps at most this many saved searches (each costs a search per digest period).
MAX_SAVED_SEARCHES = 100
_UNSUBSCRIBE_SALT = "eplus.results.saved-search.unsubscribe"


class InvalidToken(Exception):
    """An unsubscribe link that was changed, cut short or is for a saved search that no longer exists."""


def clean_search(query_text, filters):
    """The search as the search page runs it: the stripped text and the known, valid facet filters."""
    return (query_text or "").strip(), search._clean_filters(filters)


def save_search(user, name, query_text, filters, frequency, now=None):
    """Save the search for ``user``; its digests report what is published from now on. ValidationError when
    the user already keeps MAX_SAVED_SEARCHES."""
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(ngettext(
            "You already keep %(count)d saved search, the most you can: delete one first.",
            "You already keep %(count)d saved searches, the most you can: delete one first.",
            MAX_SAVED_SEARCHES) % {"count": MAX_SAVED_SEARCHES})
    now = now or timezone.now()
    query_text, filters = clean_search(query_text, filters)
    saved = SavedSearch(user=user, name=name.strip(), query=query_text, filters=filters, frequency=frequency,
                        seen_until=now, checked_at=now)
    saved.save(audit_verb="save-search")
    return saved


def change_frequency(saved, frequency, now=None):
    """Daily, weekly or no e-mails. Switching the e-mails on again starts a new period from now, and does
    not report what was published while they were off (that is still in the feed)."""
    if saved.frequency == frequency:
        return saved
    if saved.frequency == SavedSearch.Frequency.NEVER:
        now = now or timezone.now()
        saved.checked_at = saved.seen_until = now
    saved.frequency = frequency
    saved.save(audit_verb="change-frequency")
    return saved


def delete_search(saved):
    saved.delete()


def search_url(saved):
    """The search page's address for the saved search (relative)."""
    params = ([("q", saved.query)] if saved.query else []) + sorted(saved.filters.items())
    return reverse("results:search") + ("?" + urlencode(params) if params else "")


def feed_url(saved):
    return reverse("saved_search_feed", args=[saved.feed_token])


def country_names(searches):
    """{code: name} of the countries the saved searches filter on, in one query (for a list of them)."""
    codes = {str(saved.filters["country"]).upper() for saved in searches if (saved.filters or {}).get("country")}
    return search._country_names(sorted(codes)) if codes else {}


def describe(saved, names=None):
    """[(label, value)] of the saved search's facet filters, in the search page's order, for people;
    ``names``: :func:`country_names` of the page's searches (looked up here when not given)."""
    statuses, types = dict(ProjectStatus.choices), dict(ResultType.choices)
    if names is None:
        names = country_names([saved])
    described = []
    for key in search.FACETS:
        value = saved.filters.get(key)
        if value in (None, ""):
            continue
        if key == "country":
            value = names.get(value.upper(), value.upper())
        elif key == "status":
            value = statuses.get(value, value)
        elif key == "result_type":
            value = types.get(value, value)
        elif key in ("good_practice", "success_story"):
            value = search.FACET_LABELS[key]
        described.append((search.FACET_LABELS[key], value))
    return described


# --- the unsubscribe link -----------------------------------------------------------------------------

def unsubscribe_token(saved):
    return signing.dumps({"s": saved.pk, "f": saved.feed_token[:8]}, salt=_UNSUBSCRIBE_SALT, compress=True)


def saved_search_from_token(token):
    """The saved search the unsubscribe token was made for, else InvalidToken."""
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise InvalidToken from exc
    if not isinstance(data, dict):
        raise InvalidToken
    saved = SavedSearch.objects.filter(pk=data.get("s")).select_related("user").first()
    if saved is None or saved.feed_token[:8] != data.get("f"):
        raise InvalidToken
    return saved


def unsubscribe_url(saved):
    return reverse("results:saved_unsubscribe", args=[unsubscribe_token(saved)])


def unsubscribe(saved):
    """Stop the e-mails of the saved search (it stays on the user's list, with its feed)."""
    if saved.frequency == SavedSearch.Frequency.NEVER:
        return False
    saved.frequency = SavedSearch.Frequency.NEVER
    with acting_as(saved.user):  # the link in the user's e-mail: the audit trail names them
        saved.save(audit_verb="unsubscribe")
    return True


# --- what matches ---------------------------------------------------------------------------------------

def matching_cards(saved):
    return search.matching_cards(saved.query, saved.filters)


def feed_cards(saved, limit=FEED_LIMIT):
    """The newest public cards matching the saved search, newest first (its feed)."""
    return list(matching_cards(saved).order_by("-published_at", "-pk")[:limit])


def new_items(saved, since, until):
    """(cards, results, total cards, total results) published in (since, until] matching the search; the
    projects imported from the Commission's lists are records, not news (an import would flood every digest),
    and a result must be of the type the search filters on, if any."""
    matching = matching_cards(saved).filter(imported_at__isnull=True)
    cards_qs = matching.filter(published_at__gt=since, published_at__lte=until).order_by("published_at", "pk")
    results_qs = (public.public_results_qs().filter(card__in=matching.order_by().values("pk"),
                                                    published_at__gt=since, published_at__lte=until)
                  .select_related("card").order_by("published_at", "pk"))
    if (saved.filters or {}).get("result_type"):
        results_qs = results_qs.filter(result_type=saved.filters["result_type"])
    return (list(cards_qs[:DIGEST_LIMIT]), list(results_qs[:DIGEST_LIMIT]), cards_qs.count(), results_qs.count())


# --- the digest -----------------------------------------------------------------------------------------

def _due_filter(now):
    """The saved searches whose period is over at ``now`` (a queryset filter, also used under the lock)."""
    from functools import reduce
    from operator import or_

    from django.db.models import Q

    return reduce(or_, (Q(frequency=frequency, checked_at__lte=now - period + DUE_SLACK)
                        for frequency, period in PERIODS.items()))


def due_searches(now):
    return SavedSearch.objects.filter(_due_filter(now))


def send_digest(saved_id, now):
    """Send the digest of one saved search if it is due: True when an e-mail was queued. Idempotent and safe
    to run in two processes at once (the row lock with the due condition; see the module docstring)."""
    with transaction.atomic():
        saved = (SavedSearch.objects.select_for_update(of=("self",)).select_related("user")
                 .filter(_due_filter(now), pk=saved_id).first())
        if saved is None:
            return False
        since = saved.seen_until
        until = max(since, now - SETTLE)
        cards, results, card_total, result_total = new_items(saved, since, until)
        saved.seen_until = until
        # The next period starts where this one ended (not at this sweep's moment, which is up to DUE_SLACK
        # early): a daily digest stays daily instead of creeping an hour earlier every day.
        period = PERIODS[saved.frequency]
        saved.checked_at = max(saved.checked_at + period, now - DUE_SLACK)
        if (not cards and not results) or not (saved.user.email and saved.user.is_active):
            saved.save(update_fields=["seen_until", "checked_at", "updated_at"])  # bookkeeping: not audited
            return False
        _queue_digest(saved, cards, results, card_total, result_total)
        saved.last_sent_at = now
        saved.save(audit_verb="send-digest")
        return True


def _queue_digest(saved, cards, results, card_total, result_total):
    site = settings.SITE_URL.rstrip("/")
    context = {
        "saved": saved, "user": saved.user, "site": site, "cards": cards, "results": results,
        "card_total": card_total, "result_total": result_total,
        "more_cards": max(card_total - len(cards), 0), "more_results": max(result_total - len(results), 0),
        "search_link": site + search_url(saved), "feed_link": site + feed_url(saved),
        "unsubscribe_link": site + unsubscribe_url(saved), "list_link": site + reverse("results:saved_list"),
    }
    queue_templated_mail("results/email/digest", context, saved.user.email, language_of(saved.user), related=saved,
                         headers={"List-Unsubscribe": f"<{context['unsubscribe_link']}>",
                                  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})


def send_due_digests(now):
    """The sweep's part: every due saved search's digest (counts for the sweep's report)."""
    sent = 0
    for saved_id in list(due_searches(now).order_by("pk").values_list("pk", flat=True)):
        sent += int(send_digest(saved_id, now))
    return {"saved_search_digests": sent}
