"""The search index of many cards at once (the bulk import's batches, eplus.results.importer).

:func:`eplus.results.index.index_card` rewrites one card's row, its counts and its posting lists and
takes a version: done for each of 40 000 imported cards, every common word's posting list was rewritten
40 000 times and the index lock was taken 40 000 times. :func:`index_cards` does the same work for a
batch as ONE index change: the lock once, the cards' search rows in bulk, the counts' differences summed
and written once, each touched posting list read and written once, one version for the whole batch.
Each card gets exactly the row index_card would give it (tests/results/test_import_bulk.py compares
the two), so it reuses index.py's pieces (search_fields, folding, facet_pairs, count_keys).
"""

import json
from collections import Counter, defaultdict
from contextlib import contextmanager

import numpy as np
from django.db import connection, transaction
from django.db.models import Prefetch, prefetch_related_objects

from . import folding, index, public
from .models import CardOrganisation, FacetCount, FrequentTerm, ProjectCard, SearchRow


def index_cards(card_ids):
    """Rewrite the search rows of the cards ``card_ids`` as one index change; returns how many are public."""
    ids = sorted(set(card_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # The lock order of index_card: the cards' rows, then the index.
        cards = list(ProjectCard.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
                     .defer("search_document", "search_terms"))
        index.lock_index()
        frequent = set(FrequentTerm.objects.values_list("term", flat=True))
        old = _old_states(ids)
        new, texts = _new_rows(cards, ids)
        SearchRow.objects.filter(pk__in=ids).delete()
        lexemes = _insert_rows([c for c in cards if c.pk in new], new, texts)
        delta, gained, lost = defaultdict(Counter), {}, {}
        deferred = _DEFERRED[-1] if _DEFERRED and index._pg() else None
        for card_id in ids:
            old_row, old_lexemes = old.get(card_id, (None, []))
            new_lexemes = lexemes.get(card_id, [])
            _add_counts(delta, old_row, old_lexemes, -1, frequent)
            _add_counts(delta, new.get(card_id), new_lexemes, +1, frequent)
            if deferred is not None and card_id not in old:
                if new_lexemes:
                    deferred.append(card_id)  # a new search row: its posting lists later, all at once
                continue
            for term in set(old_lexemes) - set(new_lexemes) - frequent:
                lost.setdefault(term, []).append(card_id)
            for term in set(new_lexemes) - set(old_lexemes) - frequent:
                gained.setdefault(term, []).append(card_id)
        _write_counts([(t, f, v, n) for (f, v), terms in delta.items() for t, n in terms.items() if n])
        _write_postings(gained, lost)
        _bump_version(ids)
    return len(new)


def _old_states(ids):
    """{card id: (row values, lexemes)} of the cards' current search rows."""
    if not index._pg():
        return {r.pop("card_id"): (r, []) for r in SearchRow.objects.filter(pk__in=ids)
                .values("card_id", *index.ROW_FIELDS)}
    old = {}
    with connection.cursor() as cur:
        cur.execute("SELECT card_id, call_year, action, sector, status, good_practice, success_story, "
                    "countries::text, result_types::text, tsvector_to_array(vector) FROM results_searchrow "
                    "WHERE card_id = ANY(%s)", [ids])
        for found in cur.fetchall():
            row = dict(zip(index.ROW_FIELDS, found[1:9], strict=True))
            row["countries"], row["result_types"] = json.loads(row["countries"]), json.loads(row["result_types"])
            old[found[0]] = (row, list(found[9] or []))
    return old


def _new_rows(cards, ids):
    """The cards' search fields (written to the cards) and the new rows of the public ones."""
    types = {}
    for card_id, kind in public.public_results_qs().filter(card_id__in=ids).values_list("card_id", "result_type"):
        types.setdefault(card_id, set()).add(kind)
    # The organisations as plain tuples (model instances for ~8 000 organisations a batch cost 0.4 s);
    # only the cards with public results get them as objects, for public.public_search_text.
    orgs = {}
    for card_id, *values in (CardOrganisation.objects.filter(card_id__in=ids).order_by("card_id", "order", "pk")
                             .values_list("card_id", "name", "address", "region", "country")):
        orgs.setdefault(card_id, []).append(values)
    prefetch_related_objects([c for c in cards if c.pk in types],
                             Prefetch("organisations", CardOrganisation.objects.order_by("order", "pk")))
    new, texts, update = {}, {}, {}
    for card in cards:
        # A card without public results (most imported ones): its text without the per-card results query.
        texts[card.pk] = (public.public_search_text(card) if card.pk in types
                          else _text_without_results(card, orgs.get(card.pk, ())))
        fields = index.search_fields(card.title, texts[card.pk])  # what index_card writes
        for key, value in fields.items():
            setattr(card, key, value)
            update.setdefault(key, []).append(value)
        if card.published_at is not None:
            new[card.pk] = {key: getattr(card, key) for key in index.ROW_FIELDS[:6]} | {
                "countries": list(dict.fromkeys(o[3] for o in orgs.get(card.pk, ()) if o[3])),
                "result_types": sorted(types.get(card.pk, ()))}
    if update and index._pg():  # one UPDATE … FROM a COPY (bulk_update's CASE per row costs seconds)
        names = sorted(update)
        with connection.cursor() as cur:
            _copy_temp("batch_fields", [("id", "bigint")] + [(n, "text") for n in names],
                       zip([c.pk for c in cards], *(update[n] for n in names), strict=True))
            cur.execute(f"UPDATE results_projectcard p SET {', '.join(f'{n} = v.{n}' for n in names)} "
                        "FROM batch_fields v WHERE p.id = v.id")
            cur.execute("DROP TABLE batch_fields")
    elif update:
        ProjectCard.objects.bulk_update(cards, sorted(update), batch_size=500)
    return new, texts


def _text_without_results(card, orgs):
    """:func:`eplus.results.public.public_search_text` of a card that has no public results (the same
    parts in the same order; tests/results/test_import_bulk.py checks they agree). ``orgs``: its
    organisations' (name, address, region, country) in their order."""
    parts = [card.identifier, card.title, card.summary_en, " ".join(card.topics or []), card.action_type]
    for org in orgs:
        parts += list(org)
    return "\n".join(p for p in parts if p)


ROW_COLUMNS = (("card_id", "bigint"), ("identifier", "text"), ("call_year", "integer"), ("action", "text"),
               ("sector", "text"), ("status", "text"), ("good_practice", "boolean"), ("success_story", "boolean"),
               ("countries", "jsonb"), ("result_types", "jsonb"))


def _insert_rows(cards, new, texts):
    """The public cards' search rows; {card id: lexemes}. PostgreSQL: the rows and their vectors in ONE
    INSERT … SELECT from a COPY (bulk_create quoted every value in Python, and the vectors were a second
    write of every row). Elsewhere bulk_create (no vectors)."""
    if not index._pg():
        SearchRow.objects.bulk_create([SearchRow(card_id=c.pk, identifier=c.identifier, **new[c.pk]) for c in cards],
                                      batch_size=1000)
        return {}
    if not cards:
        return {}
    columns = [name for name, _type in ROW_COLUMNS]
    _copy_temp("batch_rows", [*ROW_COLUMNS, ("title", "text"), ("doc", "text")], (
        (c.pk, c.identifier, *(new[c.pk][k] for k in index.ROW_FIELDS[:6]), json.dumps(new[c.pk]["countries"]),
         json.dumps(new[c.pk]["result_types"]), folding.fold(c.title), folding.fold(texts[c.pk])) for c in cards))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO results_searchrow ({', '.join(columns)}, vector) SELECT {', '.join(columns)}, "
            f"{index.vector_sql('title', 'doc')} FROM batch_rows RETURNING card_id, tsvector_to_array(vector)")
        found = {card_id: list(lexemes or []) for card_id, lexemes in cur.fetchall()}
        cur.execute("DROP TABLE batch_rows")
        return found


def _copy_temp(name, columns, rows):
    """A temporary table ``name`` filled with ``rows`` by COPY (PostgreSQL): the batch's big statements
    read their values from it, as psycopg formats COPY rows in C, while the elements of array parameters
    were quoted one by one in Python (about a second a batch). The caller drops it."""
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)}) ON COMMIT DROP")
    with connection.connection.cursor() as raw, raw.copy(
            f"COPY {name} ({', '.join(c for c, _t in columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _add_counts(delta, row, lexemes, sign, frequent):
    """Add (sign +1) or take away (-1) the counts of one search row: every count key × every facet pair.
    ``delta`` is {(facet, value): Counter(term → n)}, so the keys are counted by Counter in C (tuples
    made in Python for each key × pair cost 0.7 ms a card)."""
    if row is None:
        return
    keys = index.count_keys(row, lexemes, frequent)
    for pair in index.facet_pairs(row):
        if sign > 0:
            delta[pair].update(keys)
        else:
            delta[pair].subtract(keys)


def _write_counts(changes):
    if not changes:
        return
    if index._pg():
        # One statement for the batch, not one per count (its values by COPY: _copy_temp).
        _copy_temp("batch_counts", [("term", "text"), ("facet", "text"), ("value", "text"), ("n", "integer")],
                   changes)
        with connection.cursor() as cur:
            cur.execute("INSERT INTO results_facetcount (term, facet, value, n) SELECT term, facet, value, n "
                        "FROM batch_counts ON CONFLICT (term, facet, value) "
                        "DO UPDATE SET n = results_facetcount.n + EXCLUDED.n")
            cur.execute("DROP TABLE batch_counts")
        return
    for term, facet, value, n in changes:
        entry, _created = FacetCount.objects.get_or_create(term=term, facet=facet, value=value)
        FacetCount.objects.filter(pk=entry.pk).update(n=entry.n + n)


POSTING_SLICE = 500  # posting lists read and written at a time: bounded memory with long lists


def _write_postings(gained, lost):
    """Each touched posting list read once and written once (PostgreSQL; SQLite has none), in slices of
    terms taken in order (the lock order of index_card's posting lists)."""
    terms = sorted(set(gained) | set(lost))
    for start in range(0, len(terms), POSTING_SLICE):
        _write_posting_slice(terms[start:start + POSTING_SLICE], gained, lost)


def _write_posting_slice(terms, gained, lost):
    with connection.cursor() as cur:
        cur.execute("SELECT term, cards FROM results_searchposting WHERE term = ANY(%s) ORDER BY term FOR UPDATE",
                    [terms])
        current = {t: np.frombuffer(bytes(c), index.POSTING_DTYPE) for t, c in cur.fetchall()}
        write, drop = [], []
        for term in terms:
            posting = current.get(term, np.zeros(0, index.POSTING_DTYPE))
            posting = posting[~np.isin(posting, lost.get(term, []))]
            posting = np.union1d(posting, gained.get(term, [])).astype(index.POSTING_DTYPE)
            if len(posting):
                write.append((term, posting.tobytes()))
            else:
                drop.append(term)
        if write:
            cur.execute("INSERT INTO results_searchposting (term, cards) SELECT * FROM unnest(%s::text[], "
                        "%s::bytea[]) ON CONFLICT (term) DO UPDATE SET cards = EXCLUDED.cards",
                        [[t for t, _c in write], [c for _t, c in write]])
        if drop:
            cur.execute("DELETE FROM results_searchposting WHERE term = ANY(%s)", [drop])


def _bump_version(ids):
    """One new index version (PostgreSQL) with every card of the batch as changed at it."""
    if not index._pg():
        return
    with connection.cursor() as cur:
        cur.execute("UPDATE results_searchindexversion SET version = nextval('results_searchindex_seq') "
                    "WHERE id = 1 RETURNING version")
        version = cur.fetchone()[0]
        cur.execute("INSERT INTO results_searchindexchange (version, card_id) SELECT %s, unnest(%s::bigint[])",
                    [version, ids])


# --- posting lists of new search rows, deferred ---------------------------------------------------

_DEFERRED = []  # the stack of open deferred_postings() collectors (lists of card ids)


@contextmanager
def deferred_postings():
    """Within it, :func:`index_cards` leaves the posting lists of NEW search rows (cards that had none)
    for the end, when they are written all at once by :func:`flush_postings`. Why: a posting list is one
    value per lexeme, so writing it per batch rewrote every common word's list (≈ 130 MB at 300 000
    cards) once per batch of an import; at the end each touched list is written once. Until then those
    cards are found by their facets and frequent terms but not yet by their rarer words. Changed cards
    (with a search row already) are still updated batch by batch. PostgreSQL only (SQLite has no
    posting lists)."""
    ids = []
    _DEFERRED.append(ids)
    try:
        yield ids
    finally:
        _DEFERRED.remove(ids)
        if ids:
            flush_postings(ids)


FLUSH_SQL = """
CREATE TEMP TABLE import_postings ON COMMIT DROP AS
SELECT l.lexeme AS term, string_agg(int8send(s.card_id), ''::bytea ORDER BY s.card_id) AS cards
FROM results_searchrow s, unnest(tsvector_to_array(s.vector)) AS l(lexeme)
WHERE s.card_id = ANY(%s) AND l.lexeme NOT IN (SELECT term FROM results_frequentterm)
GROUP BY l.lexeme
"""


def flush_postings(card_ids):
    """Add the cards ``card_ids`` (new search rows, not yet in any posting list) to the posting lists
    of their non-frequent lexemes: in SQL, each list written once. A list whose last id is below the
    cards' ids (the usual case: new cards have the highest ids) gets them appended; the others (a card
    indexed again meanwhile, ids out of order) are merged in Python."""
    if not (card_ids and index._pg()):
        return
    with transaction.atomic(), connection.cursor() as cur:
        index.lock_index()
        cur.execute(FLUSH_SQL, [sorted(set(card_ids))])
        cur.execute(
            "UPDATE results_searchposting p SET cards = p.cards || n.cards FROM import_postings n "
            "WHERE p.term = n.term AND substring(p.cards FROM octet_length(p.cards) - 7) "
            "< substring(n.cards FROM 1 FOR 8)")
        cur.execute("INSERT INTO results_searchposting (term, cards) SELECT n.term, n.cards FROM import_postings n "
                    "WHERE NOT EXISTS (SELECT 1 FROM results_searchposting p WHERE p.term = n.term)")
        # Left: the lists that do not end with the new ids (they were not appended): merged in Python.
        cur.execute("SELECT n.term, n.cards FROM import_postings n JOIN results_searchposting p ON p.term = n.term "
                    "WHERE substring(p.cards FROM octet_length(p.cards) - octet_length(n.cards) + 1) <> n.cards "
                    "ORDER BY n.term")
        rest = {term: np.frombuffer(bytes(cards), index.POSTING_DTYPE).tolist() for term, cards in cur.fetchall()}
        if rest:
            _write_postings(rest, {})
        cur.execute("DROP TABLE import_postings")
