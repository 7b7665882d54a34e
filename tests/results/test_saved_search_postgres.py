"""Two sweeps at the same moment (real PostgreSQL transactions in two threads) send one digest of a saved
search: the row lock with the "is due" condition makes the second wait and then find nothing due."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from eplus.core.audit import history
from eplus.core.models import OutgoingMail
from eplus.results import alerts, publishing
from eplus.results.models import SavedSearch
from tests.concurrency import run_at_once
from tests.factories import make_user

from .conftest import card_data

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def test_two_sweeps_at_once_send_one_digest(lv01, monkeypatch):
    reader = make_user("reader.race@library.example")
    saved = alerts.save_search(reader, "Welding", "welding", {}, "daily", now=timezone.now() - timedelta(days=2))
    publishing.publish_project_card(card_data(lv01, title="Welding robots for shipyards"))
    mail.outbox.clear()

    slow = alerts.new_items

    def new_items_slowly(*args):
        found = slow(*args)
        time.sleep(0.5)  # hold the row lock while the other sweep arrives
        return found

    monkeypatch.setattr(alerts, "new_items", new_items_slowly)
    now = timezone.now() + alerts.SETTLE + timedelta(seconds=1)  # what was just published has settled
    results = run_at_once([lambda: alerts.send_due_digests(now),
                           lambda: alerts.send_due_digests(now + timedelta(seconds=1))])
    assert sorted(r["saved_search_digests"] for r in results) == [0, 1]
    assert OutgoingMail.objects.filter(kind="results/email/digest", related_id=str(saved.pk)).count() == 1
    assert len([m for m in mail.outbox if m.to == [reader.email]]) == 1
    assert history(SavedSearch.objects.get(pk=saved.pk)).filter(verb="send-digest").count() == 1
