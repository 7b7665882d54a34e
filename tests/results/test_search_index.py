"""The search index stays exact: the facet counts stored for the empty query and for frequent terms
(kept up to date on every publish event) equal a straightforward count over the normalised tables,
after publishing, approving, finalising, flagging and re-publishing; and the bulk rebuild gives the
same rows as the per-card indexing."""

import pytest
from django.db import connection

from eplus.results import index, page_cache, public, publishing, search, workflow
from eplus.results.models import FacetCount, ProjectCard, SearchRow

from .conftest import add_result, card_data

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the search index is PostgreSQL's")


def _straight(query, filters):
    """Counts the plain way: match with to_tsvector on the stored public text, count on the tables."""
    ids = ProjectCard.objects.filter(public.PUBLIC_CARD_Q)
    if query:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM results_projectcard WHERE published_at IS NOT NULL AND "
                        "(setweight(to_tsvector('english', title), 'A') || "
                        "setweight(to_tsvector('english', search_document), 'B')) @@ "
                        "websearch_to_tsquery('english', %s)", [query])
            ids = ids.filter(pk__in=[r[0] for r in cur.fetchall()])
    qs = search._apply_filters(public.public_cards().filter(pk__in=ids.values("pk")), search._clean_filters(filters))
    facets = search.facet_counts(qs, search._clean_filters(filters))
    return qs.count(), {k: sorted((v.value, v.count) for v in values) for k, values in facets.items()}


def _indexed(query, filters):
    page, facets = search.search(query, filters)
    return page.paginator.count, {k: sorted((v.value, v.count) for v in values) for k, values in facets.items()}


QUERIES = ["", "welding", "green", "robotics", "handbook", "-welding", '"green welding"']
FILTERS = [{}, {"country": "LT"}, {"result_type": "handbook", "status": "finalised"}, {"good_practice": "yes"}]


def _check_all():
    for query in QUERIES:
        for filters in FILTERS:
            assert _indexed(query, filters) == _straight(query, filters), (query, filters)


def test_counts_stay_exact_through_publish_events(lv01, lt01, coordinator, partner_org, coordinator_user, officer):
    cards = []
    for i in range(6):
        agency = lt01 if i == 3 else lv01
        partners = [partner_org] if i % 3 else [partner_org, {"name": f"Extra {i}", "country": "EE"}]
        title = f"Green welding skills {i}" if i < 4 else f"Robotics club {i}"
        cards.append(publishing.publish_project_card(card_data(agency, coordinator, partners, title=title)))
    index.refresh_frequent_terms(share=0.3)
    terms = set(FacetCount.objects.exclude(term="").values_list("term", flat=True))
    assert {"weld", "green"} <= terms  # the frequent terms have stored counts
    _check_all()

    # Results approved and finalised on two cards (result types appear), flags, a second publish.
    for card in cards[:2]:
        add_result(card, coordinator_user, title="Welding handbook", link="https://h.example")
        add_result(card, coordinator_user, title="Hidden photo", public_flag=False, result_type="photo",
                       link="https://p.example")
        publishing.mark_final_report_submitted(card)
        card.refresh_from_db()
        workflow.submit_for_review(card, coordinator_user)
        workflow.approve(card, officer)
    _check_all()
    publishing.mark_project_finalised(cards[0])
    _check_all()
    workflow.flag_good_practice(cards[0], officer)
    publishing.publish_project_card(card_data(lv01, coordinator, [], identifier=cards[4].identifier,
                                            title="Green robotics now"))
    publishing.publish_project_card(card_data(lv01, {"name": "New school", "country": "FI"}, title="Green new"))
    _check_all()
    counts = dict(FacetCount.objects.filter(term="green", facet="_total").values_list("value", "n"))
    assert counts[""] == _straight("green", {})[0]

    # A card taken out of the public set leaves the index and the counts.
    ProjectCard.objects.filter(pk=cards[1].pk).update(published_at=None)
    page_cache.reindex(cards[1])
    assert not SearchRow.objects.filter(pk=cards[1].pk).exists()
    _check_all()


def test_bulk_rebuild_equals_card_by_card(lv01, coordinator, partner_org, coordinator_user, officer):
    for i in range(4):
        card = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title=f"Green {i}"))
        if i == 0:
            add_result(card, coordinator_user, title="Welding handbook", link="https://h.example")
            publishing.mark_final_report_submitted(card)
            card.refresh_from_db()
            workflow.submit_for_review(card, coordinator_user)
            workflow.approve(card, officer)
            publishing.mark_project_finalised(card)
    fields = ("card_id", "identifier", "call_year", "action", "sector", "status", "good_practice", "success_story",
              "countries", "result_types")
    before = list(SearchRow.objects.order_by("pk").values(*fields))
    with connection.cursor() as cur:
        cur.execute("SELECT card_id, vector::text FROM results_searchrow ORDER BY card_id")
        vectors_before = cur.fetchall()
    counts_before = set(FacetCount.objects.filter(n__gt=0, term="").values_list("facet", "value", "n"))
    index.rebuild_all()
    assert list(SearchRow.objects.order_by("pk").values(*fields)) == before
    with connection.cursor() as cur:
        cur.execute("SELECT card_id, vector::text FROM results_searchrow ORDER BY card_id")
        assert cur.fetchall() == vectors_before
    assert set(FacetCount.objects.filter(n__gt=0, term="").values_list("facet", "value", "n")) == counts_before


def test_broad_queries_show_title_matches_first_in_the_static_order(monkeypatch, lv01, coordinator):
    from eplus.results import facets

    a = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Green welding", call_year=2021,
                                                summary_en="green green green green"))
    b = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Other", call_year=2024,
                                                summary_en="one green word"))
    c = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Green roofs", call_year=2023,
                                                summary_en="Roofs."))
    d = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Welding", call_year=2025,
                                                summary_en="Green and welding."))
    page, _facets = search.search("green", {})
    assert {x.pk for x in page.object_list[:2]} == {a.pk, c.pk}  # ranked: the title matches first
    monkeypatch.setattr(search, "RANK_LIMIT", 1)
    for engine in (True, False):  # the facet engine and the SQL path alike
        monkeypatch.setattr(facets, "ENABLED", engine)
        page, _facets = search.search("green", {})
        # broad: the title matches first (newest call year first), then the others (newest first)
        assert [x.pk for x in page.object_list] == [c.pk, a.pk, d.pk, b.pk], engine
        page, _facets = search.search("green -roofs", {})
        assert [x.pk for x in page.object_list] == [a.pk, d.pk, b.pk], engine
        page, _facets = search.search("roofs or welding", {})
        assert [x.pk for x in page.object_list] == [d.pk, c.pk, a.pk], engine
        page, _facets = search.search("green", {}, page=2, per_page=3)
        assert [x.pk for x in page.object_list] == [b.pk], engine  # a page past the title matches
        page, _facets = search.search("GREEN  Welding", {})
        assert [x.pk for x in page.object_list][0] == a.pk, engine  # the exact title, even when broad


def test_the_sweep_chooses_frequent_terms_again_when_the_cards_outgrow_them(monkeypatch, lv01, coordinator):
    from eplus.results.models import FrequentTerm
    from eplus.results.sweep import sweep
    from eplus.core.time import now

    monkeypatch.setattr(index, "SWEEP_MIN_CARDS", 4)
    monkeypatch.setattr(index, "FREQUENT_SHARE", 0.5)
    for i in range(4):
        publishing.publish_project_card(card_data(lv01, coordinator, [], title=f"Robotics club {i}"))
    assert not FrequentTerm.objects.exists()
    assert index.frequent_terms_stale(min_cards=5) is False  # too few cards to bother
    assert index.frequent_terms_stale() is True  # "robot" is in every card, not frequent yet
    assert sweep(now())["search_frequent_terms_refreshed"] == 1
    assert FrequentTerm.objects.filter(term="robot").exists()
    assert sweep(now())["search_frequent_terms_refreshed"] == 0  # idempotent: nothing changed
    _check_all()

    # Many cards without the word: "robot" falls under half the share and is dropped by the next sweep.
    for i in range(16):
        publishing.publish_project_card(card_data(lv01, coordinator, [], title=f"Welding course {i}",
                                                summary_en="Welding."))
    assert index.frequent_terms_stale() is True  # 4 of 20 cards: under half of 50 %
    assert sweep(now())["search_frequent_terms_refreshed"] == 1
    assert not FrequentTerm.objects.filter(term="robot").exists()
    assert FrequentTerm.objects.filter(term="weld").exists()
    assert sweep(now())["search_frequent_terms_refreshed"] == 0
    _check_all()
