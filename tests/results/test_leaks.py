"""THE leak test: a project with hidden results and unpublished contacts (and another whose results
are approved-to-be but not yet public). Every public channel is checked: the project page, search
results, facet counts, the JSON API, the sitemap, the Atom feed and the open-data CSV and XLSX
exports — none reveals any of them,
while each does show the public data (so a broken channel cannot pass by showing nothing).
"""

import json

import pytest
from django.urls import reverse

from eplus.results import editing, publishing, search, workflow

from .conftest import add_pdf, add_result, card_data, finalised_card_with_secrets

SECRETS = [
    "Secretdraft", "zebracurriculum", "secret-notes.pdf",  # hidden result and its file
    "Hiddenperson", "Quokkaname", "quokka.hidden@school.example", "+371 20 000 999",  # unpublished contact
    "ottertitle", "premature-otter.pdf",  # a result of a project not yet finalised
    "result_type=photo",  # the hidden result's type must not be counted in the facets
]
PUBLIC_MARK = "Open welding handbook"


@pytest.fixture
def leaky(card, coordinator_user, officer, lv01, coordinator):
    card, public_result, hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    # A second project: results approved but the project not finalised yet -> nothing public.
    other = publishing.publish_project_card(card_data(lv01, coordinator, title="Second otter-free project"))
    result = add_result(other, coordinator_user, title="Premature ottertitle")
    add_pdf(result, coordinator_user, name="premature-otter.pdf")
    publishing.mark_final_report_submitted(other)
    other.refresh_from_db()
    workflow.submit_for_review(other, coordinator_user)
    workflow.approve(other, officer)
    return {"card": card, "public": public_result, "hidden": hidden, "other": other}


def channel_page(client, leaky):
    card = leaky["card"]
    texts = [client.get(reverse("results:project", args=[card.identifier])).content.decode()]
    texts.append(client.get(reverse("results:project", args=[leaky["other"].identifier])).content.decode())
    texts.append(client.get(reverse("results:result", args=[card.identifier, leaky["public"].pk])).content.decode())
    # The hidden result's own page and file are not there at all.
    assert client.get(reverse("results:result", args=[card.identifier, leaky["hidden"].pk])).status_code == 404
    assert client.get(reverse("results:download", args=[leaky["hidden"].files.get().pk])).status_code == 404
    assert client.get(reverse("results:download", args=[leaky["public"].files.get().pk])).status_code == 200
    return "\n".join(texts)


def channel_search(client, leaky):
    texts = []
    for q in ["zebracurriculum", "Secretdraft", "Quokkaname", "ottertitle", "welding", ""]:
        page, _facets = search.search(q, {})
        if q and q != "welding":
            assert page.paginator.count == 0, f"searching {q!r} found a card"
        html = client.get(reverse("results:search"), {"q": q}).content.decode()
        # The page repeats the query itself (search box, links); what must not leak is everything else
        # (each secret is searched alone, so the other secrets still catch a leak).
        texts.append(html.replace(q, "[query]") if q else html)
    # The public result's words do find the card (so the search is not simply empty).
    page, _facets = search.search('"Open welding handbook"', {})
    assert [c.identifier for c in page.object_list] == [leaky["card"].identifier]
    assert leaky["card"].title in texts[-1]
    return "\n".join(texts) + "\n" + PUBLIC_MARK


def channel_facets(client, leaky):
    lines = []
    for filters in ({}, {"result_type": "photo"}, {"result_type": "handbook"}):
        page, facets = search.search("", filters)
        if filters.get("result_type") == "photo":
            assert page.paginator.count == 0
        for key, values in facets.items():
            lines += [f"{key}={v.value}:{v.count}" for v in values]
    api = client.get("/api/v1/public/projects").json()
    for key, values in api["facets"].items():
        lines += [f"{key}={v['value']}:{v['count']}" for v in values]
    assert "result_type=handbook:1" in lines
    return "\n".join(lines) + "\n" + PUBLIC_MARK


def channel_api(client, leaky):
    listing = client.get("/api/v1/public/projects", {"page_size": 100})
    assert listing.status_code == 200
    texts = [listing.content.decode()]
    for card in (leaky["card"], leaky["other"]):
        detail = client.get(f"/api/v1/public/projects/{card.identifier}")
        assert detail.status_code == 200
        texts.append(detail.content.decode())
    assert json.loads(texts[1])["results"][0]["title"] == PUBLIC_MARK
    return "\n".join(texts)


def channel_sitemap(client, leaky):
    text = client.get("/sitemap.xml").content.decode()
    assert reverse("results:result", args=[leaky["card"].identifier, leaky["public"].pk]) in text
    assert reverse("results:result", args=[leaky["card"].identifier, leaky["hidden"].pk]) not in text
    return text + "\n" + PUBLIC_MARK


def channel_feed(client, leaky):
    response = client.get(reverse("results_feed"))
    assert response.status_code == 200 and "atom" in response["Content-Type"]
    return response.content.decode()


def _export_rows(leaky, table):
    """Checks on the exported table (header + rows) that prove the export is not simply empty."""
    head, body = table[0], table[1:]
    assert "Project Identifier" in head and "Results Available" in head
    by_id = {row[head.index("Project Identifier")]: row for row in body}
    available = head.index("Results Available")
    assert by_id[leaky["card"].identifier][available] == "Yes"
    assert by_id[leaky["other"].identifier][available] == "No"  # approved but not finalised yet
    return "\n".join("\t".join(str(v) for v in row) for row in table)


def channel_csv(client, leaky):
    import csv
    import io

    response = client.get(reverse("opendata_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    return _export_rows(leaky, table) + "\n" + text + "\n" + PUBLIC_MARK


def channel_xlsx(client, leaky):
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("opendata_xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    table = [["" if v is None else str(v) for v in row] for row in workbook.active.iter_rows(values_only=True)]
    return _export_rows(leaky, table) + "\n" + PUBLIC_MARK


CHANNELS = {
    "page": channel_page,
    "search": channel_search,
    "facets": channel_facets,
    "api": channel_api,
    "sitemap": channel_sitemap,
    "feed": channel_feed,
    # EXPORTS: the open-data files (every cell of the CSV and of the XLSX workbook).
    "csv": channel_csv,
    "xlsx": channel_xlsx,
}


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_hidden_results_and_unpublished_contacts_never_leak(channel, client, leaky):
    text = CHANNELS[channel](client, leaky)
    assert PUBLIC_MARK in text, f"{channel}: the public result is missing, so the check proves nothing"
    for secret in SECRETS:
        assert secret not in text, f"{channel} leaks {secret!r}"


def test_published_contact_does_appear(client, leaky, coordinator_user):
    card = leaky["card"]
    # Still under the approved lock? Contacts are card data, editable after approval.
    editing.save_contact(card, coordinator_user, name="Visible Person", email="visible@school.example",
                          published=True)
    page = client.get(reverse("results:project", args=[card.identifier])).content.decode()
    assert "visible@school.example" in page and "quokka.hidden@school.example" not in page
