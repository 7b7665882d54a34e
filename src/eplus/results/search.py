"""Public search over project cards, behind one function: :func:`search`.

PostgreSQL (built for 300 000 cards, see bench/search.py and BENCHMARKS.md):

- queries made of words (websearch and / or / -not, no phrase) — and no text at all — are counted by the
  in-process facet engine (eplus.results.facets: packed bitsets per facet value and per frequent lexeme,
  kept current through the index version): exact counts and the page's ids in a few ms, then the cards
  of the page from the public projection;
- otherwise (phrases; the engine disabled) the search runs on the denormalised public index SearchRow
  (eplus.results.index: one row per public card with its tsvector, facet values and country /
  result-type lists; GIN indexes), in at most four queries: 1. the facet counts and the total in ONE
  query — read from FacetCount (kept exact on every publish event) for the empty query, the empty query
  with one filter, and one frequent term without filters, else counted over the matching rows; 2. the
  ids of the page; 3. and 4. the cards of the page with their organisations.

Either way the page is ranked by ts_rank when the query matches at most RANK_LIMIT cards, else (broad
terms) shown in the static order — newest call year first, then identifier — the title matches first
(the engine: its bitsets of the marked title lexemes, eplus.results.index.TITLE_MARK; the SQL path:
the title's weight-A lexemes, as when ranked).

SQLite (the demo): the parsed query (eplus.results.query: words, "phrases", -excluded, OR) is matched
against the folded, stemmed words of the public text (ProjectCard.search_terms; eplus.results.stemming).

Both: the text is folded (eplus.results.folding: accents, case) the same way when indexed and when
searched; the cards the query names exactly (identifier, whole title: ProjectCard.search_title) come
first, then title matches, then the others; a query that finds nothing is retried once with its unknown
words corrected by one letter; a query longer than query.MAX_QUERY_LENGTH is refused (QueryTooLong).
Only public data is searched and counted: the index is built from the public projection.
"""

import json
from dataclasses import dataclass

import numpy as np

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from eplus.core.replica import read_connection

from . import folding, public, query as query_syntax
from .models import CardOrganisation, ProjectCard, ProjectStatus, ResultType
from .stemming import stem

FACETS = ("country", "action", "sector", "call_year", "status", "result_type", "good_practice", "success_story")
FACET_LABELS = {
    "country": _("Country"),
    "action": _("Action"),
    "sector": _("Sector"),
    "call_year": _("Call year"),
    "status": _("Project status"),
    "result_type": _("Type of result"),
    "good_practice": _("Good practice"),
    "success_story": _("Success story"),
}
PER_PAGE = 20
MAX_PER_PAGE = 100
# At most this many cards are lifted to the top as named exactly by the query (identifier, whole title).
MAX_KNOWN = 20
QueryTooLong = query_syntax.QueryTooLong


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


def _clean_filters(filters):
    clean = {}
    for key in FACETS:
        value = (filters or {}).get(key)
        if value in (None, "", []):
            continue
        value = str(value).strip()
        if key == "call_year":
            if not value.isdigit():
                continue
        if key in ("good_practice", "success_story"):
            if value.lower() not in ("yes", "true", "1"):
                continue
            value = "yes"
        clean[key] = value
    return clean


def _text_q(groups):
    """SQLite: the Q of the parsed query over the folded, stemmed words of the cards (search_terms)."""
    condition = Q()
    for group in groups:
        alternatives = Q()
        for item in group:
            matches = Q(search_terms__contains=" " + " ".join(stem(w) for w in item.words) + " ")
            alternatives |= ~matches if item.negated else matches
        condition &= alternatives
    return condition


def _title_q(groups):
    """SQLite: the cards whose title has the query's (positive) words — ranked before the others."""
    condition, found = Q(), False
    for group in groups:
        alternatives, any_positive = Q(), False
        for item in group:
            if not item.negated:
                every = Q()
                for word in item.words:
                    every &= Q(search_title__contains=stem(word))
                alternatives |= every
                any_positive = True
        if any_positive:
            condition &= alternatives
            found = True
    return condition if found else None


def _apply_text(qs, query_text):
    groups = query_syntax.parse(query_text)
    return (qs.filter(_text_q(groups)) if groups else qs), groups


def known_item_q(query_text):
    """The cards a query names exactly: its identifier (as typed or in capitals) or its whole title (folded,
    whitespace collapsed) — shown before every other match."""
    typed = (query_text or "").strip()
    if not typed:
        return None
    condition = Q(identifier__in=sorted({typed, typed.upper()}))
    key = folding.title_key(typed)
    if key:
        condition |= Q(search_title=key)
    return condition


def _sqlite_weights(words):
    """{word: how many public cards have its stem} (SQLite: counted over search_terms; for corrections)."""
    from collections import Counter

    counts = Counter()
    for terms in ProjectCard.objects.filter(public.PUBLIC_CARD_Q).values_list("search_terms", flat=True).iterator():
        counts.update(set(terms.split()))
    return {w: counts.get(stem(w), 0) for w in words}


def _search_sqlite(query_text, filters, page, per_page):
    base = _apply_filters(public.public_cards(), filters)
    groups = query_syntax.parse(query_text)
    qs = base.filter(_text_q(groups)) if groups else base
    corrected = ""
    if groups and not qs.exists():
        fixed = query_syntax.correct(groups, _sqlite_weights)
        if fixed is not None:
            groups, corrected = fixed, query_syntax.to_websearch(fixed)
            qs = base.filter(_text_q(groups))
    facets = facet_counts(qs, filters)
    tiers = []
    known = known_item_q(query_text) if groups else None
    if known is not None:
        known_ids = list(qs.filter(known).values_list("pk", flat=True)[:MAX_KNOWN])
        if known_ids:
            tiers.append(When(pk__in=known_ids, then=Value(0)))
    title = _title_q(groups)
    if title is not None:
        tiers.append(When(title, then=Value(1)))
    words = query_syntax.positive_words(groups)
    if len(words) > 1:  # the words side by side (a name typed without quotes)
        tiers.append(When(search_terms__contains=" " + " ".join(stem(w) for w in words) + " ", then=Value(2)))
        some = Q()
        for word in words:
            some |= Q(search_title__contains=stem(word))
        tiers.append(When(some, then=Value(3)))  # some of the words in the title
    ordering = ["-call_year", "identifier"]
    if tiers:
        qs = qs.annotate(search_tier=Case(*tiers, default=Value(4), output_field=IntegerField()))
        ordering = ["search_tier", *ordering]
    result = Paginator(qs.order_by(*ordering), per_page).get_page(page)
    result.corrected_query = corrected
    return result, facets


def _apply_filters(qs, filters):
    if "country" in filters:
        qs = qs.filter(pk__in=CardOrganisation.objects.filter(country=filters["country"].upper()).values("card_id"))
    if "action" in filters:
        qs = qs.filter(action=filters["action"])
    if "sector" in filters:
        qs = qs.filter(sector=filters["sector"])
    if "call_year" in filters:
        qs = qs.filter(call_year=int(filters["call_year"]))
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    if "result_type" in filters:
        qs = qs.filter(pk__in=public.public_results_qs().filter(result_type=filters["result_type"]).values("card_id"))
    if "good_practice" in filters:
        qs = qs.filter(good_practice=True)
    if "success_story" in filters:
        qs = qs.filter(success_story=True)
    return qs


def _country_names(codes):
    """{code: the country's name in the active language} (the facets' labels; the filter values stay codes)."""
    from eplus.programme.models import Country

    return Country.names(codes)


def facet_counts(qs, filters):
    """{facet: [FacetValue…]} over the matching public cards (8 queries, whatever the size)."""
    ids = qs.order_by().values("pk")
    facets = {}
    rows = (public.public_organisations().filter(card__in=ids).exclude(country="")
            .values("country").annotate(n=Count("card", distinct=True)).order_by("-n", "country"))
    rows = list(rows)
    names = _country_names([r["country"] for r in rows]) if rows else {}
    facets["country"] = [FacetValue(r["country"], names.get(r["country"], r["country"]), r["n"],
                                    filters.get("country", "").upper() == r["country"]) for r in rows]
    status_labels = dict(ProjectStatus.choices)
    for field in ("action", "sector", "call_year", "status"):
        rows = qs.order_by().exclude(**{f"{field}__isnull": True}).values(field).annotate(n=Count("pk"))
        rows = [r for r in rows if r[field] not in ("", None)]
        if field == "call_year":
            rows.sort(key=lambda r: -r[field])
        else:
            rows.sort(key=lambda r: (-r["n"], str(r[field])))
        facets[field] = [
            FacetValue(str(r[field]), str(status_labels.get(r[field], r[field])) if field == "status" else str(r[field]),
                       r["n"], filters.get(field) == str(r[field]))
            for r in rows
        ]
    type_labels = dict(ResultType.choices)
    rows = (public.public_results_qs().filter(card__in=ids).values("result_type")
            .annotate(n=Count("card", distinct=True)).order_by("-n", "result_type"))
    facets["result_type"] = [FacetValue(r["result_type"], str(type_labels.get(r["result_type"], r["result_type"])),
                                        r["n"], filters.get("result_type") == r["result_type"]) for r in rows]
    flags = qs.order_by().aggregate(gp=Count("pk", filter=Q(good_practice=True)),
                                    ss=Count("pk", filter=Q(success_story=True)))
    facets["good_practice"] = [FacetValue("yes", str(_("Yes")), flags["gp"], "good_practice" in filters)] if flags["gp"] else []
    facets["success_story"] = [FacetValue("yes", str(_("Yes")), flags["ss"], "success_story" in filters)] if flags["ss"] else []
    return facets


def search(query_text="", filters=None, page=1, per_page=PER_PAGE):
    """(a Page of public cards, {facet: [FacetValue…]}) for the query and the facet filters.

    ``query_text`` uses websearch syntax ("quoted phrase", -excluded, or: eplus.results.query), accents
    and case ignored; a query longer than query.MAX_QUERY_LENGTH raises query.QueryTooLong. ``filters``
    keys are FACETS: country (ISO code), action (KA220), sector (VET), call_year, status, result_type,
    good_practice / success_story ("yes").

    Ranking: the cards the query names exactly (identifier, whole title) first, then — when the matches
    are few enough to rank (RANK_LIMIT on PostgreSQL; always on SQLite) — the cards whose title has the
    words, then the others. A query that finds nothing is tried once more with each unknown word replaced
    by its most frequent neighbour one letter away; ``page.corrected_query`` is then that query ("" else).
    """
    query_syntax.check_length(query_text)
    filters = _clean_filters(filters)
    per_page = max(1, min(int(per_page or PER_PAGE), MAX_PER_PAGE))
    query_text = (query_text or "").strip()
    if connection.vendor == "postgresql":
        return _search_pg(query_text, filters, page, per_page)
    return _search_sqlite(query_text, filters, page, per_page)


# --- PostgreSQL: the search index ----------------------------------------------------------------

# Queries matching more cards than this are shown in the static order instead of ranked.
RANK_LIMIT = 1000
_TSQUERY = "websearch_to_tsquery('english', %s)"

LIVE_COUNTS_SQL = """
WITH m AS MATERIALIZED (
    SELECT call_year, action, sector, status, good_practice, success_story, countries, result_types
    FROM results_searchrow WHERE {where}
)
SELECT '_total', '', count(*), NULL FROM m
UNION ALL SELECT 'call_year', call_year::text, count(*), NULL FROM m WHERE call_year IS NOT NULL GROUP BY call_year
UNION ALL SELECT 'action', action, count(*), NULL FROM m WHERE action <> '' GROUP BY action
UNION ALL SELECT 'sector', sector, count(*), NULL FROM m WHERE sector <> '' GROUP BY sector
UNION ALL SELECT 'status', status, count(*), NULL FROM m WHERE status <> '' GROUP BY status
UNION ALL SELECT 'good_practice', 'yes', count(*), NULL FROM m WHERE good_practice HAVING count(*) > 0
UNION ALL SELECT 'success_story', 'yes', count(*), NULL FROM m WHERE success_story HAVING count(*) > 0
UNION ALL SELECT 'country', c, count(*), NULL FROM m, jsonb_array_elements_text(m.countries) c GROUP BY c
UNION ALL SELECT 'result_type', t, count(*), NULL FROM m, jsonb_array_elements_text(m.result_types) t GROUP BY t
"""

# The stored counts (FacetCount) under one term: %(key)s when given ("" = everything, "f:facet=value" =
# the empty query with one filter), else the single frequent lexeme the query IS; no rows otherwise.
STORED_COUNTS_SQL = """
WITH q AS (SELECT CASE WHEN %(text)s = '' THEN %(key)s ELSE (
        SELECT substring(x FROM '^''([^'']+)''$') FROM (SELECT websearch_to_tsquery('english', %(text)s)::text AS x) s)
        END AS term)
SELECT fc.facet, fc.value, fc.n, q.term FROM q JOIN results_facetcount fc ON fc.term = q.term
WHERE q.term IS NOT NULL AND fc.n > 0
"""


def _stored_key(query_text, filters):
    """The FacetCount term for an empty query ("" or one filter); None when counts must be live."""
    if query_text:
        return "" if not filters else None
    if not filters:
        return ""
    if len(filters) > 1:
        return None
    (facet, value), = filters.items()
    if facet == "country":
        value = value.upper()
    elif facet == "call_year":
        value = str(int(value))
    return f"f:{facet}={value}"


def _where(query_text, filters):
    where, params = ["TRUE"], []
    if query_text:
        where.append(f"vector @@ {_TSQUERY}")
        params.append(query_text)
    if "country" in filters:
        where.append("countries @> %s::jsonb")
        params.append(json.dumps([filters["country"].upper()]))
    if "result_type" in filters:
        where.append("result_types @> %s::jsonb")
        params.append(json.dumps([filters["result_type"]]))
    for key in ("action", "sector", "status"):
        if key in filters:
            where.append(f"{key} = %s")
            params.append(filters[key])
    if "call_year" in filters:
        where.append("call_year = %s")
        params.append(int(filters["call_year"]))
    for key in ("good_practice", "success_story"):
        if key in filters:
            where.append(key)
    return " AND ".join(where), params


def _counts_pg(query_text, filters):
    """{facet: {value: n}} and the total, in one query."""
    rows = []
    with read_connection().cursor() as cur:
        key = _stored_key(query_text, filters)
        if key is not None:
            cur.execute(STORED_COUNTS_SQL, {"text": query_text, "key": key})
            rows = cur.fetchall()
            if rows and not any(r[0] == "_total" for r in rows):
                rows = []  # nothing matches any more: count live (an empty answer)
        if not rows:
            where, params = _where(query_text, filters)
            cur.execute(LIVE_COUNTS_SQL.format(where=where), params)
            rows = cur.fetchall()
    counts = {}
    total = 0
    for facet, value, n, _extra in rows:
        if facet == "_total":
            total = n
        else:
            counts.setdefault(facet, {})[value] = n
    return counts, total


def _facet_values(counts, filters):
    facets = {}
    country_rows = sorted(counts.get("country", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    names = _country_names([c for c, _n in country_rows]) if country_rows else {}
    facets["country"] = [FacetValue(c, names.get(c, c), n, filters.get("country", "").upper() == c)
                         for c, n in country_rows]
    status_labels = dict(ProjectStatus.choices)
    for field in ("action", "sector", "call_year", "status"):
        items = list(counts.get(field, {}).items())
        if field == "call_year":
            items.sort(key=lambda kv: -int(kv[0]))
        else:
            items.sort(key=lambda kv: (-kv[1], kv[0]))
        facets[field] = [FacetValue(v, str(status_labels.get(v, v)) if field == "status" else v, n,
                                    filters.get(field) == v) for v, n in items]
    type_labels = dict(ResultType.choices)
    items = sorted(counts.get("result_type", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    facets["result_type"] = [FacetValue(t, str(type_labels.get(t, t)), n, filters.get("result_type") == t)
                             for t, n in items]
    for flag in ("good_practice", "success_story"):
        n = counts.get(flag, {}).get("yes", 0)
        facets[flag] = [FacetValue("yes", str(_("Yes")), n, flag in filters)] if n else []
    return facets


# Ranked: the title matches (the title's weight-A lexemes alone match), then the cards with the query's
# words side by side (a name typed without quotes), then those with some of the words in the title, then
# by ts_rank. Parameters: _ranked_params.
_RANKED_ORDER = (f"(ts_filter(vector, '{{a}}') @@ {_TSQUERY}) DESC, "
                 "(%s <> '' AND vector @@ phraseto_tsquery('english', %s)) DESC, "
                 "(%s <> '' AND ts_filter(vector, '{a}') @@ websearch_to_tsquery('english', %s)) DESC, "
                 f"ts_rank(vector, {_TSQUERY}) DESC, call_year DESC NULLS LAST, identifier")


def _ranked_params(text):
    words = query_syntax.positive_words(query_syntax.parse(text))
    phrase = " ".join(words) if len(words) > 1 else ""
    some = " or ".join(words) if len(words) > 1 else ""
    return [text, phrase, phrase, some, some, text]


class _Hits:
    """The matching cards as a sequence of known length for the Paginator: slicing fetches one page
    of ids and then those cards from the public projection. The cards named exactly by the query
    (``known``: ids among the matches) come first; then, ranked (at most RANK_LIMIT matches), the title
    matches (the title's weight-A lexemes match the query alone), by ts_rank; else the static order."""

    def __init__(self, query_text, filters, total, known=()):
        self.query_text, self.filters, self.total = query_text, filters, total
        self.known = list(known)

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item:item + 1][0]
        start, stop = item.start or 0, item.stop if item.stop is not None else self.total
        if stop <= start:
            return []
        k = len(self.known)
        ids = self.known[start:stop]
        if stop - k > max(0, start - k):
            ids += self._rest(max(0, start - k), stop - k)
        cards = {c.pk: c for c in public.public_cards().filter(pk__in=ids)} if ids else {}
        return [cards[i] for i in ids if i in cards]

    def _rest(self, start, stop):
        where, params = _where(self.query_text, self.filters)
        if self.known:
            where += " AND NOT card_id = ANY(%s)"
            params = params + [self.known]
        order = "call_year DESC NULLS LAST, identifier"
        if self.query_text and self.total <= RANK_LIMIT:
            order = _RANKED_ORDER
            params = params + _ranked_params(self.query_text)
        elif self.query_text:  # too many to rank: the title matches first, as the engine (_EngineHits)
            order = f"(ts_filter(vector, '{{a}}') @@ {_TSQUERY}) DESC, {order}"
            params = params + [self.query_text]
        with read_connection().cursor() as cur:
            cur.execute(f"SELECT card_id FROM results_searchrow WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                        params + [stop - start, start])
            return [r[0] for r in cur.fetchall()]


class _EngineHits(_Hits):
    """The hits of a query counted by the in-process facet engine: the page's ids come from its bitsets
    (static order) or, for at most RANK_LIMIT matches, ranked in SQL over those ids."""

    def __init__(self, query_text, filters, total, engine, mask, known=(), tree=None):
        super().__init__(query_text, filters, total, known)
        self.engine, self.mask, self.tree = engine, mask, tree

    def _rest(self, start, stop):
        mask = self.mask
        if self.known:
            mask = mask.copy()
            for card_id in self.known:
                if card_id >> 3 < len(mask):
                    mask[card_id >> 3] &= np.uint8(0xFF ^ (1 << (card_id & 7)))
        if self.query_text and self.total <= RANK_LIMIT:
            with read_connection().cursor() as cur:
                cur.execute(f"SELECT card_id FROM results_searchrow WHERE card_id = ANY(%s) ORDER BY "
                            f"{_RANKED_ORDER} LIMIT %s OFFSET %s",
                            [self.engine.matching_ids(mask), *_ranked_params(self.query_text), stop - start,
                             start])
                return [r[0] for r in cur.fetchall()]
        if self.tree is None:
            return self.engine.ids_in_order(mask, start, stop)
        # Too many to rank: the title matches first, then the others, each in the static order.
        from . import facets as engine_facets

        titles = engine_facets.title_mask(self.engine, mask, self.tree)
        in_titles = int(np.bitwise_count(titles).sum())
        ids = self.engine.ids_in_order(titles, start, min(stop, in_titles)) if start < in_titles else []
        if stop > in_titles:
            ids += self.engine.ids_in_order(mask & ~titles, max(0, start - in_titles), stop - in_titles)
        return ids


def _pg_text(query_text):
    """The query as PostgreSQL's websearch_to_tsquery reads it: folded like the indexed text (and the
    typographic quotes made plain)."""
    return folding.fold(query_text.translate(query_syntax.QUOTES))


def _pg_weights(words):
    """{word: how many public cards have its lexeme} (frequent terms count as very many)."""
    with read_connection().cursor() as cur:
        cur.execute(WEIGHTS_SQL, [list(words)])
        return dict(cur.fetchall())


WEIGHTS_SQL = f"""
WITH c AS (SELECT w, l FROM unnest(%s::text[]) w, unnest(tsvector_to_array(to_tsvector('english', w))) l)
SELECT c.w, max(coalesce(octet_length(p.cards) / {8}, 0) + CASE WHEN f.term IS NULL THEN 0 ELSE 1000000000 END)
FROM c LEFT JOIN results_searchposting p ON p.term = c.l LEFT JOIN results_frequentterm f ON f.term = c.l
GROUP BY c.w
"""


def _known_ids(query_text):
    """The public cards the query names exactly (identifier, whole title): a few indexed lookups."""
    condition = known_item_q(query_text)
    if condition is None:
        return []
    return list(ProjectCard.objects.using(read_connection().alias).filter(public.PUBLIC_CARD_Q)
                .filter(condition).order_by("-call_year", "identifier").values_list("pk", flat=True)[:MAX_KNOWN])


def _search_pg(query_text, filters, page, per_page):
    result, facets = _search_pg_text(_pg_text(query_text), filters, page, per_page, _known_ids(query_text))
    result.corrected_query = ""
    if not result.paginator.count and query_text:
        groups = query_syntax.parse(query_text)
        fixed = query_syntax.correct(groups, _pg_weights) if groups else None
        if fixed is not None:
            corrected = query_syntax.to_websearch(fixed)
            result, facets = _search_pg_text(corrected, filters, page, per_page, [])
            result.corrected_query = corrected
    return result, facets


def _search_pg_text(text, filters, page, per_page, known):
    from . import facets as engine_facets

    found = engine_facets.evaluate(text, filters)
    if found is not None:
        engine, mask, counts, total, tree = found
        known = [i for i in known if i >> 3 < len(mask) and mask[i >> 3] & (1 << (i & 7))]
        paginator = Paginator(_EngineHits(text, filters, total, engine, mask, known, tree), per_page)
        return paginator.get_page(page), _facet_values(counts, filters)
    counts, total = _counts_pg(text, filters)
    facets = _facet_values(counts, filters)
    if known and total:
        where, params = _where(text, filters)
        with read_connection().cursor() as cur:
            cur.execute(f"SELECT card_id FROM results_searchrow WHERE {where} AND card_id = ANY(%s)", params + [known])
            matching = {r[0] for r in cur.fetchall()}
        known = [i for i in known if i in matching]
    else:
        known = []
    paginator = Paginator(_Hits(text, filters, total, known), per_page)
    return paginator.get_page(page), facets


def matching_cards(query_text="", filters=None):
    """Every public card the search matches (same query and filters as :func:`search`), in the static
    order, as a queryset of ProjectCard with the organisations prefetched — for the open-data exports
    (iterate it with ``.iterator(chunk_size=…)``)."""
    filters = _clean_filters(filters)
    query_text = (query_text or "").strip()
    if connection.vendor == "postgresql":
        from django.db.models.expressions import RawSQL

        where, params = _where(_pg_text(query_text), filters)
        qs = public.public_cards().filter(pk__in=RawSQL(f"SELECT card_id FROM results_searchrow WHERE {where}",
                                                        params))
    else:
        qs, _groups = _apply_text(public.public_cards(), query_text)
        qs = _apply_filters(qs, filters)
    return qs.order_by("-call_year", "identifier", "pk")
