"""A wrong address or a page of another agency is the site's own page with a way on, not the server's bare
"Not Found" (issue 13: no dead ends)."""

import pytest
from django.urls import reverse


pytestmark = pytest.mark.django_db


def test_not_found_is_a_page_of_the_site_with_links_on(client):
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in body and f'href="{reverse("home")}"' in body
    assert f'href="{reverse("results:search")}"' in body and "<main" in body


def test_refused_is_a_page_of_the_site_that_says_why(client, programme):
    from eplus.programme.models import BudgetEnvelope
    from tests.factories import log_in_reauthenticated, make_officer

    envelope = BudgetEnvelope.objects.filter(agency__code="LV01").first()
    log_in_reauthenticated(client, make_officer())  # an officer reads envelopes; only administrators change them
    response = client.post(reverse("evaluation:envelope", args=[envelope.pk]), {"amount": "1.00", "reason": "x"})
    body = response.content.decode()
    assert response.status_code == 403 and "You cannot open this page" in body and "<main" in body
