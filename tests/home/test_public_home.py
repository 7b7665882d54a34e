"""The public home page starts the job (issue 16, item 5): the open calls with their deadlines (Brussels time,
and a slot for the reader's own) and a "Start an application" per call that preselects the call, the results
search box, how it works for three audiences, and the operating agency from settings (no EU emblem unless
the operator sets one); in English and Latvian."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from eplus.core import time as clock
from eplus.programme.services import open_calls
from tests.factories import log_in_reauthenticated, make_organisation, make_user

pytestmark = pytest.mark.django_db


def test_the_open_calls_with_deadlines_and_a_start_link_each(client, programme):
    calls = list(open_calls(clock.now()))
    assert calls, "the programme data has open calls"
    page = client.get("/")
    html = page.content.decode()
    assert page.status_code == 200
    for call in calls[:6]:
        assert f'{reverse("applications:create")}?call={call.pk}' in html
        assert f'datetime="{call.deadline.isoformat()}"' in html  # the local-time slot reads it
    assert html.count("Start an application (") == min(len(calls), 6)
    assert 'action="/results/"' in html and 'name="q"' in html
    assert html.count('<ol class="steps">') == 3


def test_the_operator_comes_from_settings_and_the_eu_emblem_only_when_set(client, programme, settings):
    from eplus.programme.models import Agency

    settings.OPERATOR_AGENCY, settings.OPERATOR_URL = "LV01", "https://agency.example"
    html = client.get("/").content.decode()
    name = Agency.objects.get(code="LV01").name
    assert name in html and 'href="https://agency.example"' in html
    assert "Co-funded by the European Union" not in html
    settings.OPERATOR_EU_EMBLEM = "https://agency.example/eu-emblem.png"
    settings.OPERATOR_LOGO = "https://agency.example/logo.png"
    html = client.get("/").content.decode()
    assert 'alt="Co-funded by the European Union"' in html and f'alt="{name}"' in html
    settings.OPERATOR_AGENCY = "XX99"  # an unknown code: no name, and no error
    assert client.get("/").status_code == 200


def test_the_home_page_in_latvian(client, programme):
    client.cookies["django_language"] = "lv"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    with translation.override("lv"):
        assert translation.gettext("How it works") in html
        assert translation.gettext("How it works") != "How it works"
        assert translation.gettext("Open calls") in html


def test_start_an_application_preselects_the_call(client, programme):
    user = make_user()
    organisation = make_organisation("LV", member=user, certified=True)
    call = open_calls(clock.now()).filter(action__code="KA210").first()
    log_in_reauthenticated(client, user)
    html = client.get(f'{reverse("applications:create")}?call={call.pk}').content.decode()
    selected = re.search(r'<option value="([^"]*)" selected>', html[html.index('name="call"'):])
    assert selected and selected.group(1).startswith(f"{call.pk}:")
    assert f'<option value="{organisation.oid}" selected>' in html
    assert client.get(f'{reverse("applications:create")}?call=nonsense').status_code == 200
