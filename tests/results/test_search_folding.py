"""The pieces of "search that finds what people type": folding (Python and SQL alike), the English suffix
stripper, the query syntax, the typo correction, the length limit (a message, never every project)."""

import pytest
from django.db import connection

from eplus.results import folding, index, publishing, query, search
from eplus.results.models import ProjectCard
from eplus.results.stemming import stem

from .conftest import card_data


@pytest.mark.parametrize(("typed", "folded"), [
    ("Rīgas", "rigas"), ("Emajõe", "emajoe"), ("ŠIAULIŲ", "siauliu"), ("Łódź", "lodz"), ("Straße", "strasse"),
    ("Ærø Købstad", "aero kobstad"), ("Ελλάδα", "ελλαδα"), ("Brașov", "brasov"), ("ﬁle", "file"),
    ("e\u0301cole", "ecole"), ("KA220-VET", "ka220-vet"), ("", ""),
])
def test_fold(typed, folded):
    assert folding.fold(typed) == folded
    assert folding.fold(folding.fold(typed)) == folded


def test_title_key_ignores_case_accents_and_spacing():
    assert folding.title_key("  Zaļās  PRASMES\u00a0lauku skolām ") == "zalas prasmes lauku skolam"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL folding is PostgreSQL's")
def test_the_sql_folding_is_the_python_folding(db):
    import unicodedata

    chars = [chr(code) for low, high in ((0x20, 0x7E), (0xA0, 0x52F), (0x1E00, 0x1FFF), (0x2000, 0x206F),
                                         (0xFB00, 0xFB06)) for code in range(low, high + 1)
             if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Cc")]
    samples = chars + ["  Rīgas Valsts\ttehnikums — Emajõe Kool, Łódź; ΟΔΟΣ Straße  ", "plain ASCII Title"]
    with connection.cursor() as cur:
        cur.execute(f"SELECT x, {folding.sql_fold('x')}, {folding.sql_title_key('x')} FROM unnest(%s::text[]) x",
                    [samples])
        rows = cur.fetchall()
    assert len(rows) == len(samples) > 1800
    assert [(x, folded, key) for x, folded, key in rows if folded != folding.fold(x)
            or key != folding.title_key(x)] == []


@pytest.mark.parametrize(("word", "same"), [
    ("courses", "course"), ("skills", "skill"), ("training", "trainings"), ("trained", "train"),
    ("studies", "study"), ("classes", "class"), ("boxes", "box"), ("making", "make"), ("running", "run"),
])
def test_stem_sends_forms_of_a_word_together(word, same):
    assert stem(word) == stem(same)


@pytest.mark.parametrize(("word", "kept"), [("campus", "campus"), ("bus", "bus"), ("sing", "sing"),
                                            ("2024", "2024"), ("skill", "skill")])
def test_stem_keeps_short_and_special_words(word, kept):
    assert stem(word) == kept


def test_parse_the_documented_syntax():
    Item = query.Item
    assert query.parse('"Green skills" -school OR  Rīgas -"old town"') == [
        [Item(("green", "skills"))], [Item(("school",), True), Item(("rigas",))], [Item(("old", "town"), True)]]
    assert query.parse("OR welding or") == [[Item(("welding",))]]
    assert query.parse("KA220-VET “media literacy”") == [[Item(("ka220", "vet"))], [Item(("media", "literacy"))]]
    assert query.parse('- " -') == []


def test_correct_replaces_only_unknown_words_by_a_neighbour():
    known = {"welding": 5, "skills": 9, "skill": 2}
    fixed = query.correct(query.parse("weldnig skils -school"), lambda words: {w: known.get(w, 0) for w in words})
    assert query.to_websearch(fixed) == "welding skills -school"
    assert query.correct(query.parse("welding"), lambda words: {w: known.get(w, 0) for w in words}) is None


def test_a_query_too_long_is_refused(db):
    with pytest.raises(query.QueryTooLong):
        search.search("a" * (query.MAX_QUERY_LENGTH + 1), {})
    page, _facets = search.search("a" * query.MAX_QUERY_LENGTH, {})
    assert page.paginator.count == 0


def test_the_search_form_and_the_api_keep_the_same_limit():
    from eplus.results.forms import SearchForm

    assert SearchForm.base_fields["q"].max_length == query.MAX_QUERY_LENGTH


def test_a_too_long_query_gets_a_message_on_the_page_and_a_400_in_the_api(client, lv01, coordinator):
    publishing.publish_project_card(card_data(lv01, coordinator, [], title="Findable welding"))
    long_text = "welding " * 40
    response = client.get("/results/", {"q": long_text})
    html = response.content.decode()
    assert response.status_code == 200
    assert "too long" in html and "Findable welding" not in html
    assert long_text.strip() in html  # what was typed is kept in the field
    response = client.get("/api/v1/public/projects", {"q": long_text})
    assert response.status_code == 400
    assert "too long" in response.json()["detail"]
    assert client.get("/api/v1/public/projects", {"q": "WELDING"}).json()["count"] == 1


def test_diacritics_case_or_and_typos_on_published_cards(lv01, coordinator, partner_org):
    a = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title="Rīgas pavāru kursi",
                                                  summary_en="Cooks take courses at Emajõe Kool."))
    b = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Beekeeping in Võru",
                                                  summary_en="A course for beekeepers."))

    def found(text):
        return [c.pk for c in search.search(text, {})[0].object_list]

    assert found("rigas pavaru") == [a.pk]
    assert found("EMAJOE") == [a.pk]
    assert set(found("voru OR emajoe")) == {a.pk, b.pk}
    assert set(found("course")) == {a.pk, b.pk}
    assert found("course -beekeeping") == [a.pk]
    assert found('"take courses"') == [a.pk]
    assert found('"courses take"') == []
    page, _facets = search.search("beekeepnig", {})
    assert [c.pk for c in page.object_list] == [b.pk] and page.corrected_query == "beekeeping"
    assert found(b.identifier.lower()) == [b.pk]


def test_the_exact_title_comes_first(lv01, coordinator):
    cards = [publishing.publish_project_card(card_data(lv01, coordinator, [], title=title, call_year=year))
             for title, year in (("Digital skills for all", 2020), ("More digital skills for all teachers", 2024),
                                 ("Skills", 2025))]
    found = [c.pk for c in search.search("digital SKILLS for all", {})[0].object_list]
    assert found[:2] == [cards[0].pk, cards[1].pk]  # the exact title, then the title match


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk rebuild in SQL is PostgreSQL's")
def test_the_bulk_rebuild_folds_as_index_card_does(lv01, coordinator, partner_org):
    for title in ("Zaļās prasmes  Rīgā", "Emajõe Straße", "Plain title"):
        publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title=title))

    def state():
        with connection.cursor() as cur:
            cur.execute("SELECT c.id, c.search_title, s.vector::text FROM results_projectcard c "
                        "JOIN results_searchrow s ON s.card_id = c.id ORDER BY c.id")
            return cur.fetchall()

    before = state()
    assert [row[1] for row in before] == ["zalas prasmes riga", "emajoe strasse", "plain title"]
    ProjectCard.objects.update(search_title="")
    index.rebuild_all()
    assert state() == before


def test_the_rebuild_fills_the_folded_columns_on_either_backend(lv01, coordinator):
    card = publishing.publish_project_card(card_data(lv01, coordinator, [], title="Jūrmalas  ceļojumi",
                                                     summary_en="Guides trained for the seaside."))
    ProjectCard.objects.update(search_title="", search_terms="")
    assert search.search("jurmalas", {})[0].paginator.count == 0 or connection.vendor == "postgresql"
    index.rebuild_all()
    card.refresh_from_db()
    assert card.search_title == "jurmalas celojumi"
    assert (card.search_terms == "") == (connection.vendor == "postgresql")  # SQLite matches these words
    assert [c.pk for c in search.search("JURMALAS train", {})[0].object_list] == [card.pk]
