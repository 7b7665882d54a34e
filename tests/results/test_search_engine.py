"""The in-process facet engine (eplus.results.facets) gives the same counts and pages as the SQL path and
the plain counts, and follows every publish event (incremental updates) and bulk rebuild (full reload)."""

import numpy as np
import pytest
from django.db import connection

from eplus.results import facets, index, page_cache, publishing, search, workflow
from eplus.results.models import ProjectCard

from .conftest import add_result, card_data
from .test_search_index import _indexed, _straight

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the facet engine is PostgreSQL's")

QUERIES = ["", "green", "welding", "robotics", "green welding", "green or robotics", "-green", "green -welding",
           '"green welding"', "the", "nothingmatches", "green or nothingmatches"]
FILTERS = [{}, {"country": "lt"}, {"country": "EE", "call_year": "2024"}, {"result_type": "handbook"},
           {"status": "finalised", "good_practice": "yes"}, {"action": "KA220"}]


def _postings_in_table():
    from eplus.results.models import SearchPosting

    return {p.term: list(np.frombuffer(bytes(p.cards), index.POSTING_DTYPE)) for p in SearchPosting.objects.all()}


def _postings_from_rows():
    """What the posting lists must be: every lexeme of the public rows but the frequent ones, with the
    sorted ids of the cards whose row has it."""
    expected = {}
    with connection.cursor() as cur:
        cur.execute("SELECT card_id, tsvector_to_array(vector) FROM results_searchrow ORDER BY card_id")
        rows = cur.fetchall()
        cur.execute("SELECT term FROM results_frequentterm")
        frequent = {r[0] for r in cur.fetchall()}
    for card_id, lexemes in rows:
        for word in set(lexemes) - frequent:
            expected.setdefault(word, []).append(card_id)
    return expected


def _page_ids(query, filters, page=1, per_page=2):
    result, _facets = search.search(query, filters, page, per_page)
    return [c.pk for c in result.object_list]


def _compare_all(monkeypatch):
    for query in QUERIES:
        for filters in FILTERS:
            assert _indexed(query, filters) == _straight(query, filters), (query, filters)
            with_engine = [_page_ids(query, filters, p) for p in (1, 2, 3)]
            monkeypatch.setattr(facets, "ENABLED", False)
            without = [_page_ids(query, filters, p) for p in (1, 2, 3)]
            monkeypatch.setattr(facets, "ENABLED", True)
            assert with_engine == without, (query, filters)


def _publish_some(lv01, lt01, coordinator, partner_org):
    cards = []
    for i in range(6):
        agency = lt01 if i == 3 else lv01
        partners = [partner_org] if i % 3 else [partner_org, {"name": f"Extra {i}", "country": "EE"}]
        title = f"Green welding skills {i}" if i < 4 else f"Robotics club {i}"
        cards.append(publishing.publish_project_card(card_data(agency, coordinator, partners, title=title,
                                                             call_year=2020 + i)))
    return cards


def test_engine_equals_sql_path_and_plain_counts(monkeypatch, lv01, lt01, coordinator, partner_org,
                                                 coordinator_user, officer):
    facets.reset()
    cards = _publish_some(lv01, lt01, coordinator, partner_org)
    index.refresh_frequent_terms(share=0.5)
    assert facets.evaluate("green", {}) is not None  # the engine answers word queries
    engine = facets._STATE["engine"]
    assert "green" in engine.terms and "robot" not in engine.terms  # frequent vs read from its posting list
    assert _postings_in_table() == _postings_from_rows() and "robot" in _postings_in_table()
    assert facets.evaluate('"green welding"', {}) is None  # phrases: the SQL path
    _compare_all(monkeypatch)
    for rank_limit in (1, 1000):  # static order and ranked pages
        monkeypatch.setattr(search, "RANK_LIMIT", rank_limit)
        _compare_all(monkeypatch)
    monkeypatch.setattr(search, "RANK_LIMIT", 1000)

    # Publish events after the engine was loaded: it re-reads the changed cards only.
    full_version = facets._STATE["engine"].full_version
    add_result(cards[0], coordinator_user, title="Welding handbook", link="https://h.example")
    publishing.mark_final_report_submitted(cards[0])
    cards[0].refresh_from_db()
    workflow.submit_for_review(cards[0], coordinator_user)
    workflow.approve(cards[0], officer)
    publishing.mark_project_finalised(cards[0])
    workflow.flag_good_practice(cards[0], officer)
    publishing.publish_project_card(card_data(lv01, {"name": "New school", "country": "FI"}, title="Green new"))
    # cards[2] loses its frequent words, cards[4] gains one.
    publishing.publish_project_card(card_data(lv01, coordinator, [], identifier=cards[2].identifier,
                                            title="Robotics only", summary_en="Robotics."))
    publishing.publish_project_card(card_data(lv01, coordinator, [], identifier=cards[4].identifier,
                                            title="Green robotics now"))
    ProjectCard.objects.filter(pk=cards[1].pk).update(published_at=None)
    page_cache.reindex(cards[1])
    _compare_all(monkeypatch)
    assert facets._STATE["engine"].full_version == full_version  # incremental, no full reload
    assert _postings_in_table() == _postings_from_rows()  # kept exact on every publish event
    assert _indexed("green", {"good_practice": "yes"})[0] == 1
    green = _page_ids("green", {}, per_page=50)
    assert cards[1].pk not in green and cards[4].pk in green

    # A bulk rebuild: every process reloads.
    index.rebuild_all()
    _compare_all(monkeypatch)
    assert facets._STATE["engine"].full_version != full_version


def test_engine_after_a_rolled_back_change_reloads(lv01, lt01, coordinator, partner_org):
    """A version the database does not know (a rolled-back transaction) makes the engine reload."""
    facets.reset()
    _publish_some(lv01, lt01, coordinator, partner_org)
    assert _indexed("green", {}) == _straight("green", {})
    facets._STATE["engine"].version = -5  # as if loaded from a state that was rolled back
    assert _indexed("green", {}) == _straight("green", {})
    assert facets._STATE["engine"].version != -5


@pytest.mark.parametrize("text,tree", [
    ("'green'", ("lex", "green")),
    ("'green' & 'weld'", ("and", ("lex", "green"), ("lex", "weld"))),
    ("'a' | 'b' & !'c'", ("or", ("lex", "a"), ("and", ("lex", "b"), ("not", ("lex", "c"))))),
    ("( 'a' | 'b' ) & 'c'", ("and", ("or", ("lex", "a"), ("lex", "b")), ("lex", "c"))),
    ("'it''s'", ("lex", "it's")),
    ("'green' <-> 'weld'", None),
    ("'gre':*", None),
    ("", None),
])
def test_parse_tsquery(text, tree):
    assert facets.parse_tsquery(text) == tree


@pytest.mark.django_db(transaction=True)
def test_a_starting_gunicorn_worker_loads_the_engine_in_the_background(lv01, lt01, coordinator, partner_org):
    import threading

    from eplus.config import gunicorn

    _publish_some(lv01, lt01, coordinator, partner_org)
    facets.reset()
    gunicorn.post_worker_init(worker=None)
    warming = [t for t in threading.enumerate() if t.name == "eplus-search-warm"]
    assert warming
    for thread in warming:
        thread.join(timeout=30)
    engine = facets._STATE["engine"]
    assert engine is not None and facets.memory_mb() > 0
    assert engine.facet(("country", "EE")).any()  # loaded from the committed cards
    facets.reset()
