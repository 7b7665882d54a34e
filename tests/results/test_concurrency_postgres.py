"""Two officers approve the same results at the same moment, and a flag is set twice at once (real
PostgreSQL transactions in threads): the row lock makes one of them win, the other changes nothing."""

import threading

import pytest
from django.core import mail
from django.db import connection

from eplus.core.audit import history
from eplus.results import publishing, workflow
from eplus.results.models import ProjectCard, ReviewEvent

from .conftest import add_result, finalised_card_with_secrets
from tests.factories import make_officer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")]


def _race(card, calls):
    """Run the calls at the same moment, each in its own thread and transaction; their outcomes, sorted."""
    barrier, outcomes = threading.Barrier(len(calls)), []

    def run(call):
        from django.db import connection as own

        fresh = ProjectCard.objects.get(pk=card.pk)
        barrier.wait()
        try:
            call(fresh)
        except workflow.TransitionError:
            outcomes.append("refused")
        else:
            outcomes.append("done")
        own.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    [thread.start() for thread in threads]
    [thread.join(30) for thread in threads]
    return sorted(outcomes)


def test_two_parallel_approvals_approve_once_and_mail_once(card, coordinator_user, officer, lv01):
    colleague = make_officer(lv01)
    add_result(card, coordinator_user, link="https://handbook.example")
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, coordinator_user)
    sent = len(mail.outbox)
    outcomes = _race(card, [lambda c: workflow.approve(c, officer), lambda c: workflow.approve(c, colleague)])
    assert outcomes == ["done", "refused"]
    assert ReviewEvent.objects.filter(card=card, kind=ReviewEvent.Kind.APPROVED).count() == 1
    assert len(mail.outbox) == sent + 1


def test_two_parallel_flags_record_one_change(card, coordinator_user, officer):
    card, _public, _hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    outcomes = _race(card, [lambda c: workflow.flag_good_practice(c, officer)] * 2)
    assert outcomes == ["done", "done"]
    assert history(card).filter(verb="flag-good-practice").count() == 1
