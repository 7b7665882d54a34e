"""Provisional calls (the 2027 copies, issue 13 item 10) say so on every page that shows them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from eplus.applications.creation import create_application
from eplus.programme.models import Call
from tests.factories import make_organisation, make_user

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def now(monkeypatch):
    monkeypatch.setattr("eplus.core.time.now", lambda: NOW)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def test_calls_page_marks_provisional_calls(client, programme, now):
    content = client.get(reverse("programme:calls")).content.decode()
    provisional = Call.objects.filter(provisional=True).count()
    assert provisional and content.count(">Provisional</span>") == provisional


def test_application_pages_mark_a_provisional_call(client, programme, now):
    user = make_user()
    organisation = make_organisation(member=user, certified=True)
    call = Call.objects.get(year=2027, action__code="KA220", round=1)
    application = create_application(user, organisation, call, "VET")
    client.force_login(user)
    pages = (reverse("applications:detail", args=[application.pk]), reverse("applications:mine"),
             reverse("applications:submit", args=[application.pk]),
             reverse("applications:section", args=[application.pk, "context"]))
    for url in pages:
        assert ">Provisional</span>" in client.get(url).content.decode(), url
    Call.objects.filter(pk=call.pk).update(provisional=False)
    for url in pages:
        assert ">Provisional</span>" not in client.get(url).content.decode(), url
    assert "Provisional" in client.get(reverse("applications:create")).content.decode()


def test_a_call_that_is_not_provisional_has_no_badge(client, programme, now):
    Call.objects.update(provisional=False)
    content = client.get(reverse("programme:calls")).content.decode()
    assert ">Provisional</span>" not in content
