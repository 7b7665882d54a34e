"""The forms of the envelope, what-if, reserve-list and decline pages (issue 13, items 2 and 8) posted with
hostile values by the project's form fuzzer (tests/fuzz/forms.py): no answer may be a server error."""

import pytest
from django.test import Client
from django.urls import reverse

from eplus.evaluation import envelopes
from eplus.evaluation.decisions import decline_grant
from eplus.programme.models import AgencyMembership
from tests.fuzz.forms import Fuzzer
from tests.fuzz.world import log_in

from . import factories as f
from .test_reserve import _released_group


@pytest.fixture
def no_rate_limits(settings):
    settings.RATE_LIMITS = {scope: "1000000/60" for scope in settings.RATE_LIMITS}
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.mark.django_db
def test_no_form_of_the_envelope_and_reserve_pages_answers_a_server_error(programme, no_rate_limits):
    officer, coordinator, (first, _second, *_reserves) = _released_group()
    boss = f.with_mfa(f.user())
    AgencyMembership.objects.create(user=boss, agency=first.agency, role="admin")
    envelope = envelopes.find(first.agency, first.call, "VET")
    ranking = reverse("evaluation:ranking", args=[first.call_id, "VET"])
    pages = {
        "coordinator": (coordinator, [reverse("evaluation:decision", args=[first.application_id])]),
        "agency-admin": (boss, [reverse("evaluation:envelopes"), reverse("evaluation:envelope", args=[envelope.pk]),
                                reverse("evaluation:envelope_new"), reverse("evaluation:envelope_transfer")]),
        "officer": (officer, [ranking, reverse("evaluation:envelope", args=[envelope.pk])]),
    }
    failures, fuzzed = [], 0
    for role, (user, urls) in pages.items():
        if role == "agency-admin":  # after the coordinator's forms: a declined grant gives the reserve its forms
            decline_grant(first, "Frees the money: the reserve list gets its forms.", coordinator)
        client = Client(raise_request_exception=False)
        log_in(client, user)
        fuzzer = Fuzzer(client, role)
        for url in urls:
            status, forms = fuzzer.forms_of(url)
            assert status < 400, url
            for form in forms:
                fuzzer.fuzz(form)
                fuzzed += 1
        failures += fuzzer.failures
    assert fuzzed >= 8
    assert not failures, "\n\n".join(str(failure) for failure in failures)
