"""Results platform housekeeping (run by ``./run manage sweep``): on a project's end date, open
the results for submission and invite the coordinator by e-mail. Idempotent: the invitation is
recorded on the card, so a second run sends nothing. Projects imported from the Commission's lists
(``imported_at`` set) are historical records and are never invited. It also re-chooses the search's frequent terms
when the public cards have outgrown them (eplus.results.index; a second run finds nothing to do)."""

from django.db import transaction

from eplus.core.time import to_brussels

from . import index, workflow
from .notify import coordinator_recipients, send_card_mail
from .models import ProjectCard, ResultsStatus


def sweep(now):
    today = to_brussels(now).date()
    due = ProjectCard.objects.filter(
        end_date__lte=today, submission_invited_at__isnull=True, published_at__isnull=False,
        results_status__in=[ResultsStatus.OPEN, ResultsStatus.AVAILABLE],
        imported_at__isnull=True,  # imported historical projects are records: nobody is asked for results
    ).values_list("pk", flat=True)
    invited = 0
    for pk in list(due):
        with transaction.atomic():
            card = ProjectCard.objects.select_for_update(of=("self",)).select_related("coordinator").get(pk=pk)
            if card.submission_invited_at is not None:
                continue
            workflow.open_for_submission(card, now)
            card.submission_invited_at = now
            card.save(audit_verb="invite-to-submit-results")
            recipients = coordinator_recipients(card)
        send_card_mail(card, "invitation", recipients)
        invited += 1
    return {"results_invitations": invited,
            "search_frequent_terms_refreshed": int(index.refresh_frequent_terms_if_stale()),
            **_saved_search_digests(now), **_link_checks(now)}


def _saved_search_digests(now):
    """The daily and weekly e-mails of the saved searches that are due (eplus.results.alerts)."""
    from . import alerts

    return alerts.send_due_digests(now)


def _link_checks(now):
    """The public links due for their check (eplus.results.links)."""
    from . import links

    return links.check_links(now)
