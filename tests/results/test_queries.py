"""N+1 guards: every list page makes the same number of queries with 1 and with 3 items."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eplus.results import editing, index, publishing, workflow
from eplus.results.models import OpenDataFile, ProjectCard

from .conftest import add_pdf, add_result, card_data


def _approved_finalised(lv01, coordinator, partner_org, user, officer, n, results_per_card=1):
    cards = []
    for i in range(n):
        card = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title=f"Counted {i}"))
        for j in range(results_per_card if i == 0 else 1):
            add_pdf(add_result(card, user, title=f"Counted result {i}-{j}"), user)
        publishing.mark_final_report_submitted(card)
        card.refresh_from_db()
        workflow.submit_for_review(card, user)
        workflow.approve(card, officer)
        publishing.mark_project_finalised(card)
        cards.append(card)
    return cards


def _retire_earlier_cards():
    """Take the previous round's cards out of every list without deleting them (queryset.delete()
    would load audited rows with deferred fields)."""
    ProjectCard.objects.update(published_at=None, coordinator=None, agency=None)
    index.rebuild_all()  # the bulk update bypassed the services: rebuild the search index


def _queries(client, url, **params):
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, url
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return len(ctx.captured_queries)


PAGES = {
    "search": lambda cards: (reverse("results:search"), {}),
    "search-query": lambda cards: (reverse("results:search"), {"q": "counted", "country": "LV"}),
    "organisation": lambda cards: (reverse("results:organisation", args=[cards[0].coordinator.oid]), {}),
    "partners": lambda cards: (reverse("results:partners"), {"sector": "VET"}),
    "api": lambda cards: ("/api/v1/public/projects", {}),
    "sitemap": lambda cards: ("/sitemap.xml", {}),
    "feed": lambda cards: (reverse("results_feed"), {}),
    "opendata-csv": lambda cards: (reverse("opendata_csv"), {}),
    "opendata-csv-query": lambda cards: (reverse("opendata_csv"), {"q": "counted", "country": "LV"}),
    "opendata-xlsx": lambda cards: (reverse("opendata_xlsx"), {}),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_public_list_pages_constant_queries(name, client, lv01, coordinator, partner_org, coordinator_user, officer):
    counts = []
    for n in (1, 3):
        _retire_earlier_cards()
        cards = _approved_finalised(lv01, coordinator, partner_org, coordinator_user, officer, n)
        url, params = PAGES[name](cards)
        if name.startswith("opendata"):
            # The whole list is a built file: measure its build (none exists yet in either round).
            OpenDataFile.objects.all().delete()
        counts.append(_queries(client, url, **params))
    assert counts[0] == counts[1], f"{name}: {counts[0]} queries with 1 item, {counts[1]} with 3"


def test_project_page_constant_queries_in_results(client, lv01, coordinator, partner_org, coordinator_user, officer):
    counts = []
    for n in (1, 3):
        _retire_earlier_cards()
        card = _approved_finalised(lv01, coordinator, partner_org, coordinator_user, officer, 1, results_per_card=n)[0]
        counts.append(_queries(client, reverse("results:project", args=[card.identifier])))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("page", ["mine", "review_queue", "edit", "review"])
def test_private_list_pages_constant_queries(page, client, lv01, coordinator, partner_org, coordinator_user, officer):
    counts = []
    for n in (1, 3):
        _retire_earlier_cards()
        cards = []
        for _ in range(n):
            card = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org]))
            cards.append(card)
        for j in range(n):
            add_pdf(add_result(cards[0], coordinator_user, title=f"R{j}"), coordinator_user)
            editing.save_contact(cards[0], coordinator_user, name=f"C{j}")
        user = officer if page in ("review_queue", "review") else coordinator_user
        client.force_login(user)
        url = (reverse(f"results:{page}", args=[cards[0].identifier]) if page in ("edit", "review")
               else reverse(f"results:{page}"))
        counts.append(_queries(client, url))
    assert counts[0] == counts[1], f"{page}: {counts}"
