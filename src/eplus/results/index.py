"""The public search index: one SearchRow per PUBLIC card, plus exact facet counts for the whole set
and for the frequent terms (FacetCount), all kept up to date on every publish event.

- :func:`index_card` — rewrite one card's row (and adjust the counts by the difference); called by
  ``services.reindex`` on every publish / refresh / approve / finalise / flag / organisation change;
- :func:`rebuild_all` — rebuild every row in SQL (after a bulk load or an import; PostgreSQL) or
  card by card (SQLite);
- :func:`refresh_frequent_terms` — choose the frequent terms again (ts_stat), recount FacetCount and
  rebuild the posting lists of the other lexemes (SearchPosting).

Every writer locks the index version row (:func:`lock_index`) before it changes anything in the index
(after the card row, for one card), so index changes happen one at a time, locking in one order: no
deadlocks between the counts and the posting lists of two cards published at once.

Only public data goes in: the text is :func:`eplus.results.public.public_search_text`, the
countries are those of the card's organisations, the result types those of its PUBLIC results.
"""

from collections import Counter

import numpy as np
from django.db import connection, transaction

from . import folding, public
from .models import FacetCount, FrequentTerm, ProjectCard, SearchPosting, SearchRow
from .stemming import stem

CONFIG = "english"
# A term is "frequent" when it occurs in at least this share of the public cards (at most MAX_TERMS).
FREQUENT_SHARE = 0.05
MAX_TERMS = 200
# The card ids of a posting list (SearchPosting.cards): sorted, big-endian int64 (PostgreSQL's int8send).
POSTING_DTYPE = np.dtype(">i8")
# Each title lexeme is also in the vector with this mark in front ('~educ', no position): so the title's
# words have posting lists and frequent-term bitsets of their own like any lexeme, and the facet engine
# can put the title matches of a broad query first (eplus.results.facets.title_mask). No query typed by a
# user yields such a lexeme: the parser drops the mark.
TITLE_MARK = "~"


def vector_sql(title, doc):
    """The SQL expression of a search row's vector from two SQL expressions of folded text: the title's
    lexemes (weight A), the document's (weight B) and the title's lexemes again, marked (TITLE_MARK)."""
    return (f"setweight(to_tsvector('{CONFIG}', {title}), 'A') || setweight(to_tsvector('{CONFIG}', {doc}), 'B') "
            f"|| array_to_tsvector(ARRAY(SELECT '{TITLE_MARK}' || l "
            f"FROM unnest(tsvector_to_array(to_tsvector('{CONFIG}', {title}))) l))")


def _pg():
    return connection.vendor == "postgresql"


def facet_pairs(row):
    """(facet, value) pairs one search row contributes to the counts ("" values are not counted)."""
    pairs = [("_total", "")]
    if row["call_year"] is not None:
        pairs.append(("call_year", str(row["call_year"])))
    for facet in ("action", "sector", "status"):
        if row[facet]:
            pairs.append((facet, row[facet]))
    if row["good_practice"]:
        pairs.append(("good_practice", "yes"))
    if row["success_story"]:
        pairs.append(("success_story", "yes"))
    pairs += [("country", c) for c in row["countries"]]
    pairs += [("result_type", t) for t in row["result_types"]]
    return pairs


ROW_FIELDS = ("call_year", "action", "sector", "status", "good_practice", "success_story", "countries",
              "result_types")


def _old_state(card_id):
    """(row values, lexemes) of the card's current row, or (None, [])."""
    if not _pg():
        row = SearchRow.objects.filter(pk=card_id).values(*ROW_FIELDS).first()
        return row, []
    with connection.cursor() as cur:
        cur.execute(
            "SELECT call_year, action, sector, status, good_practice, success_story, countries::text, "
            "result_types::text, tsvector_to_array(vector) FROM results_searchrow WHERE card_id = %s", [card_id])
        found = cur.fetchone()
    if not found:
        return None, []
    import json

    row = dict(zip(ROW_FIELDS, found[:8], strict=True))
    row["countries"], row["result_types"] = json.loads(row["countries"]), json.loads(row["result_types"])
    return row, list(found[8] or [])


def filter_key(facet, value):
    """The FacetCount term under which the counts of the empty query with ONE filter are kept."""
    return f"f:{facet}={value}"


def count_keys(row, lexemes, frequent):
    """Every FacetCount term a row counts under: all, its frequent lexemes, each single filter it passes."""
    return ([""] + sorted(frequent.intersection(lexemes))
            + [filter_key(f, v) for f, v in facet_pairs(row) if f != "_total"])


def _count_changes(old_row, old_lexemes, new_row, new_lexemes, frequent):
    delta = Counter()
    for row, lexemes, sign in ((old_row, old_lexemes, -1), (new_row, new_lexemes, +1)):
        if row is None:
            continue
        pairs = facet_pairs(row)
        for term in count_keys(row, lexemes, frequent):
            for facet, value in pairs:
                delta[(term, facet, value)] += sign
    changes = [(t, f, v, n) for (t, f, v), n in delta.items() if n]
    if not changes:
        return
    if _pg():
        with connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO results_facetcount (term, facet, value, n) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (term, facet, value) DO UPDATE SET n = results_facetcount.n + EXCLUDED.n", changes)
    else:
        for term, facet, value, n in changes:
            entry, _created = FacetCount.objects.get_or_create(term=term, facet=facet, value=value)
            FacetCount.objects.filter(pk=entry.pk).update(n=entry.n + n)


def _update_postings(card_id, old_lexemes, new_lexemes, frequent):
    """Take the card out of the posting lists of the lexemes it lost and into those it gained."""
    lost = set(old_lexemes) - set(new_lexemes) - frequent
    gained = set(new_lexemes) - set(old_lexemes) - frequent
    if not (lost or gained):
        return
    with connection.cursor() as cur:
        cur.execute("SELECT term, cards FROM results_searchposting WHERE term = ANY(%s) ORDER BY term FOR UPDATE",
                    [sorted(lost | gained)])
        current = {term: np.frombuffer(bytes(cards), POSTING_DTYPE) for term, cards in cur.fetchall()}
        write, drop = [], []
        for term in sorted(lost | gained):
            ids = current.get(term, np.zeros(0, POSTING_DTYPE))
            ids = ids[ids != card_id] if term in lost else np.union1d(ids, [card_id]).astype(POSTING_DTYPE)
            if len(ids):
                write.append((term, ids.tobytes()))
            else:
                drop.append(term)
        if write:
            cur.executemany("INSERT INTO results_searchposting (term, cards) VALUES (%s, %s) "
                            "ON CONFLICT (term) DO UPDATE SET cards = EXCLUDED.cards", write)
        if drop:
            cur.execute("DELETE FROM results_searchposting WHERE term = ANY(%s)", [drop])


def search_terms(text):
    """The folded, stemmed words of a public search text as the SQLite search matches them: " w1 w2 … "
    (a word is matched as " stem ", a phrase as " stem1 stem2 ")."""
    return " " + " ".join(stem(w) for w in folding.words(text)) + " "


def search_fields(title, text):
    """The card's search columns for its title and public search text (a batch indexer writes the same;
    its vectors use ``folding.fold`` in Python or ``folding.sql_fold`` in SQL, as index_card / rebuild_all)."""
    return {"search_document": text, "search_title": folding.title_key(title),
            "search_terms": "" if _pg() else search_terms(text)}


def index_card(card):
    """Rewrite the search row of ``card`` from the public projection (delete it when not public).

    The text is folded (eplus.results.folding) before PostgreSQL's to_tsvector, as the query is: accents
    and case do not matter. The folded title is kept for the exact-title lookup, and on SQLite the
    folded, stemmed words of the text (search_terms)."""
    text = public.public_search_text(card)
    with transaction.atomic():
        # Locks in this order: the card row (callers may hold it already), then the index (lock_index).
        current = ProjectCard.objects.select_for_update(of=("self",)).filter(pk=card.pk).values(
            "published_at", "identifier", "title", "call_year", "action", "sector", "status", "good_practice",
            "success_story").first()
        lock_index()
        fields = search_fields(current["title"] if current is not None else "", text)
        ProjectCard.objects.filter(pk=card.pk).update(**fields)
        for key, value in fields.items():
            setattr(card, key, value)
        old_row, old_lexemes = _old_state(card.pk)
        frequent = set(FrequentTerm.objects.values_list("term", flat=True))
        if current is None or current["published_at"] is None:
            SearchRow.objects.filter(pk=card.pk).delete()
            _count_changes(old_row, old_lexemes, None, [], frequent)
            _update_postings(card.pk, old_lexemes, [], frequent)
            bump_version(card.pk)
            return None
        countries = list(dict.fromkeys(
            c for c in card.organisations.order_by("order", "pk").values_list("country", flat=True) if c))
        types = sorted(set(public.public_results_qs().filter(card_id=card.pk).values_list("result_type", flat=True)))
        new_row = {key: current[key] for key in ROW_FIELDS if key in current}
        new_row.update(countries=countries, result_types=types)
        SearchRow.objects.update_or_create(card_id=card.pk, defaults={"identifier": current["identifier"], **new_row})
        new_lexemes = []
        if _pg():
            with connection.cursor() as cur:
                title = folding.fold(current["title"])
                cur.execute(f"UPDATE results_searchrow SET vector = {vector_sql('%(title)s', '%(doc)s')} "
                            "WHERE card_id = %(card)s RETURNING tsvector_to_array(vector)",
                            {"title": title, "doc": folding.fold(text), "card": card.pk})
                new_lexemes = list(cur.fetchone()[0] or [])
        _count_changes(old_row, old_lexemes, new_row, new_lexemes, frequent)
        _update_postings(card.pk, old_lexemes, new_lexemes, frequent)
        bump_version(card.pk)
    return card


def lock_index():
    """Lock the index version row until the end of the transaction (PostgreSQL): the first step of every
    index change, so they all happen one at a time and lock what they touch in the same order."""
    if not _pg():
        return
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM results_searchindexversion WHERE id = 1 FOR UPDATE")
        if cur.fetchone() is None:
            cur.execute("INSERT INTO results_searchindexversion (id, version, full_version) VALUES (1, 0, 0) "
                        "ON CONFLICT (id) DO NOTHING")
            cur.execute("SELECT 1 FROM results_searchindexversion WHERE id = 1 FOR UPDATE")


def bump_version(card_id=None):
    """Record a change of the index (PostgreSQL) for the in-process facet engines (eplus.results.facets):
    a fresh version from a sequence (never reused, even after a rollback), taken while holding the version
    row's lock, so versions become visible in commit order; ``card_id`` None = everything changed."""
    if not _pg():
        return None
    lock_index()
    with connection.cursor() as cur:
        if card_id is None:
            cur.execute("UPDATE results_searchindexversion SET version = nextval('results_searchindex_seq') "
                        "WHERE id = 1 RETURNING version")
            version = cur.fetchone()[0]
            cur.execute("UPDATE results_searchindexversion SET full_version = version WHERE id = 1")
            cur.execute("DELETE FROM results_searchindexchange WHERE version < %s", [version])
        else:
            cur.execute("UPDATE results_searchindexversion SET version = nextval('results_searchindex_seq') "
                        "WHERE id = 1 RETURNING version")
            version = cur.fetchone()[0]
            cur.execute("INSERT INTO results_searchindexchange (version, card_id) VALUES (%s, %s)",
                        [version, card_id])
    return version


# --- bulk (PostgreSQL) --------------------------------------------------------------------------

REBUILD_SQL = f"""
WITH orgs AS (
    SELECT o.card_id,
           string_agg(concat_ws(E'\\n', nullif(o.name, ''), nullif(o.address, ''), nullif(o.region, ''),
                                nullif(o.country, '')), E'\\n' ORDER BY o."order", o.id) AS text,
           (SELECT coalesce(jsonb_agg(c ORDER BY first_pos), '[]'::jsonb) FROM (
                SELECT o2.country AS c, min(o2."order" * 100000 + o2.id) AS first_pos
                FROM results_cardorganisation o2 WHERE o2.card_id = o.card_id AND o2.country <> ''
                GROUP BY o2.country) cc) AS countries
    FROM results_cardorganisation o GROUP BY o.card_id
), res AS (
    SELECT r.card_id,
           string_agg(concat_ws(E'\\n', nullif(r.title, ''), nullif(r.description_en, '')), E'\\n'
                      ORDER BY r.created_at, r.id) AS text,
           jsonb_agg(DISTINCT r.result_type) AS types
    FROM results_result r JOIN results_projectcard c ON c.id = r.card_id
    WHERE r.public AND c.published_at IS NOT NULL AND c.results_status = 'approved' AND c.status = 'finalised'
    GROUP BY r.card_id
), docs AS (
    SELECT c.id, c.identifier, c.title, c.call_year, c.action, c.sector, c.status, c.good_practice,
           c.success_story, c.published_at,
           concat_ws(E'\\n', nullif(c.identifier, ''), nullif(c.title, ''), nullif(c.summary_en, ''),
                     nullif((SELECT string_agg(t, ' ') FROM jsonb_array_elements_text(c.topics) t), ''),
                     nullif(c.action_type, ''), nullif(orgs.text, ''), nullif(res.text, '')) AS doc,
           coalesce(orgs.countries, '[]'::jsonb) AS countries,
           coalesce((SELECT jsonb_agg(x ORDER BY x) FROM jsonb_array_elements_text(res.types) x), '[]'::jsonb)
               AS types
    FROM results_projectcard c LEFT JOIN orgs ON orgs.card_id = c.id LEFT JOIN res ON res.card_id = c.id
), upd AS (
    UPDATE results_projectcard p SET search_document = d.doc, search_title = {folding.sql_title_key("d.title")},
                                     search_terms = ''
    FROM docs d WHERE d.id = p.id
)
INSERT INTO results_searchrow (card_id, identifier, call_year, action, sector, status, good_practice,
                               success_story, countries, result_types, vector)
SELECT id, identifier, call_year, action, sector, status, good_practice, success_story, countries, types,
       {vector_sql(folding.sql_fold("title"), folding.sql_fold("doc"))}
FROM docs WHERE published_at IS NOT NULL
"""

RECOUNT_SQL = """
WITH rows AS (
    SELECT card_id, call_year, action, sector, status, good_practice, success_story, countries, result_types
    FROM results_searchrow
), pairs AS (
    SELECT card_id, '_total' AS facet, '' AS value FROM rows
    UNION ALL SELECT card_id, 'call_year', call_year::text FROM rows WHERE call_year IS NOT NULL
    UNION ALL SELECT card_id, 'action', action FROM rows WHERE action <> ''
    UNION ALL SELECT card_id, 'sector', sector FROM rows WHERE sector <> ''
    UNION ALL SELECT card_id, 'status', status FROM rows WHERE status <> ''
    UNION ALL SELECT card_id, 'good_practice', 'yes' FROM rows WHERE good_practice
    UNION ALL SELECT card_id, 'success_story', 'yes' FROM rows WHERE success_story
    UNION ALL SELECT card_id, 'country', c FROM rows, jsonb_array_elements_text(rows.countries) c
    UNION ALL SELECT card_id, 'result_type', t FROM rows, jsonb_array_elements_text(rows.result_types) t
), terms AS (
    SELECT card_id, '' AS term FROM rows
    UNION ALL
    SELECT s.card_id, l.lexeme FROM results_searchrow s, unnest(tsvector_to_array(s.vector)) AS l(lexeme)
    WHERE l.lexeme IN (SELECT term FROM results_frequentterm)
    UNION ALL
    SELECT card_id, 'f:' || facet || '=' || value FROM pairs WHERE facet <> '_total'
)
INSERT INTO results_facetcount (term, facet, value, n)
SELECT t.term, p.facet, p.value, count(*) FROM terms t JOIN pairs p ON p.card_id = t.card_id
GROUP BY t.term, p.facet, p.value
"""

# The posting list of every lexeme that is not frequent: its cards' ids, sorted, as int8send bytes.
POSTINGS_SQL = """
INSERT INTO results_searchposting (term, cards)
SELECT l.lexeme, string_agg(int8send(s.card_id), ''::bytea ORDER BY s.card_id)
FROM results_searchrow s, unnest(tsvector_to_array(s.vector)) AS l(lexeme)
WHERE l.lexeme NOT IN (SELECT term FROM results_frequentterm)
GROUP BY l.lexeme
"""


def rebuild_all():
    """Rebuild every search row and all the counts from the tables (one SQL pass on PostgreSQL)."""
    if not _pg():
        SearchRow.objects.all().delete()
        FacetCount.objects.all().delete()
        FrequentTerm.objects.all().delete()
        SearchPosting.objects.all().delete()
        for card in ProjectCard.objects.all().iterator():
            index_card(card)
        return SearchRow.objects.count()
    with transaction.atomic(), connection.cursor() as cur:
        # The same lock order as index_card: the cards (all of them: their search_document is rewritten),
        # then the index.
        cur.execute("LOCK TABLE results_projectcard IN EXCLUSIVE MODE")
        lock_index()
        cur.execute("LOCK TABLE results_searchrow IN EXCLUSIVE MODE")
        cur.execute("DELETE FROM results_searchrow")
        cur.execute(REBUILD_SQL)
        count = cur.rowcount
    refresh_frequent_terms()
    return count


def refresh_frequent_terms(share=FREQUENT_SHARE, max_terms=MAX_TERMS):
    """Choose the frequent terms (ts_stat over the public rows), recount FacetCount exactly and rebuild
    the posting lists of the other lexemes."""
    if not _pg():
        return []
    with transaction.atomic(), connection.cursor() as cur:
        lock_index()
        cur.execute("LOCK TABLE results_searchrow IN SHARE MODE")
        cur.execute("SELECT count(*) FROM results_searchrow")
        total = cur.fetchone()[0]
        cur.execute("DELETE FROM results_frequentterm")
        cur.execute("DELETE FROM results_facetcount")
        terms = []
        if total:
            cur.execute("SELECT word FROM ts_stat('SELECT vector FROM results_searchrow') WHERE ndoc >= %s "
                        "AND length(word) <= 100 ORDER BY ndoc DESC, word LIMIT %s",
                        [max(1, int(total * share)), max_terms])
            terms = [r[0] for r in cur.fetchall()]
            cur.executemany("INSERT INTO results_frequentterm (term) VALUES (%s)", [(t,) for t in terms])
        cur.execute(RECOUNT_SQL)
        cur.execute("DELETE FROM results_searchposting")
        cur.execute(POSTINGS_SQL)
        bump_version(None)
    return terms


# The sweep chooses frequent terms only for an index of at least this many public cards (below it every
# posting list is short and the search is fast without them).
SWEEP_MIN_CARDS = 1000


def frequent_terms_stale(share=None, max_terms=MAX_TERMS, min_cards=None):
    """True when the frequent terms no longer fit the public cards (PostgreSQL): a lexeme that is not
    frequent is now in at least ``share`` of the cards (and there is room for it), or a frequent term
    fell under half that share (the half keeps a term near the line from flapping in and out)."""
    if not _pg():
        return False
    share = FREQUENT_SHARE if share is None else share
    min_cards = SWEEP_MIN_CARDS if min_cards is None else min_cards
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM results_searchrow")
        total = cur.fetchone()[0]
        if total < max(1, min_cards):
            return False
        threshold = max(1, int(total * share))
        cur.execute("SELECT count(*) FROM results_frequentterm")
        frequent = cur.fetchone()[0]
        if frequent < max_terms:
            cur.execute("SELECT EXISTS (SELECT 1 FROM results_searchposting WHERE octet_length(cards) >= %s)",
                        [threshold * POSTING_DTYPE.itemsize])
            if cur.fetchone()[0]:
                return True
        cur.execute("SELECT EXISTS (SELECT 1 FROM results_frequentterm t LEFT JOIN results_facetcount c "
                    "ON c.term = t.term AND c.facet = '_total' WHERE coalesce(c.n, 0) * 2 < %s)", [threshold])
        return cur.fetchone()[0]


def refresh_frequent_terms_if_stale():
    """Re-choose the frequent terms when they no longer fit (the sweep); True when it did."""
    if not frequent_terms_stale():
        return False
    refresh_frequent_terms(share=FREQUENT_SHARE)
    return True

