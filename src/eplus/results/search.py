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
terms) shown in the static order — newest call year first, then identifier.

SQLite (the demo): every word must occur in the public search text (``-word`` excludes it).
Only public data is searched and counted: the index is built from the public projection.
"""

import json
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from eplus.core.replica import read_connection

from . import public
from .models import CardOrganisation, ProjectStatus, ResultType

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


def _apply_text(qs, query_text):
    query_text = (query_text or "").strip()
    if not query_text:
        return qs, False
    for word in query_text.replace('"', " ").split():
        if word.lower() == "or":
            continue
        if word.startswith("-") and len(word) > 1:
            qs = qs.exclude(search_document__icontains=word[1:])
        else:
            qs = qs.filter(search_document__icontains=word)
    return qs, False


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

    ``query_text`` uses websearch syntax ("quoted phrase", -excluded, or). ``filters`` keys are
    FACETS: country (ISO code), action (KA220), sector (VET), call_year, status, result_type,
    good_practice / success_story ("yes").
    """
    filters = _clean_filters(filters)
    per_page = max(1, min(int(per_page or PER_PAGE), MAX_PER_PAGE))
    query_text = (query_text or "").strip()
    if connection.vendor == "postgresql":
        return _search_pg(query_text, filters, page, per_page)
    qs, ranked = _apply_text(public.public_cards(), query_text)
    qs = _apply_filters(qs, filters)
    facets = facet_counts(qs, filters)
    ordering = (["-rank"] if ranked else []) + ["-call_year", "identifier"]
    paginator = Paginator(qs.order_by(*ordering), per_page)
    return paginator.get_page(page), facets


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


class _Hits:
    """The matching cards as a sequence of known length for the Paginator: slicing fetches one page
    of ids (ranked or in the static order) and then those cards from the public projection."""

    def __init__(self, query_text, filters, total):
        self.query_text, self.filters, self.total = query_text, filters, total

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
        where, params = _where(self.query_text, self.filters)
        ranked = bool(self.query_text) and self.total <= RANK_LIMIT
        order = "call_year DESC NULLS LAST, identifier"
        if ranked:
            order = f"ts_rank(vector, {_TSQUERY}) DESC, " + order
            params = params + [self.query_text]
        with read_connection().cursor() as cur:
            cur.execute(f"SELECT card_id FROM results_searchrow WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
                        params + [stop - start, start])
            ids = [r[0] for r in cur.fetchall()]
        cards = {c.pk: c for c in public.public_cards().filter(pk__in=ids)} if ids else {}
        return [cards[i] for i in ids if i in cards]


class _EngineHits(_Hits):
    """The hits of a query counted by the in-process facet engine: the page's ids come from its bitsets
    (static order) or, for at most RANK_LIMIT matches, from ts_rank over those ids in SQL."""

    def __init__(self, query_text, filters, total, engine, mask):
        super().__init__(query_text, filters, total)
        self.engine, self.mask = engine, mask

    def __getitem__(self, item):
        if not isinstance(item, slice):
            return self[item:item + 1][0]
        start, stop = item.start or 0, item.stop if item.stop is not None else self.total
        if stop <= start:
            return []
        if self.query_text and self.total <= RANK_LIMIT:
            with read_connection().cursor() as cur:
                cur.execute(f"SELECT card_id FROM results_searchrow WHERE card_id = ANY(%s) ORDER BY "
                            f"ts_rank(vector, {_TSQUERY}) DESC, call_year DESC NULLS LAST, identifier "
                            f"LIMIT %s OFFSET %s",
                            [self.engine.matching_ids(self.mask), self.query_text, stop - start, start])
                ids = [r[0] for r in cur.fetchall()]
        else:
            ids = self.engine.ids_in_order(self.mask, start, stop)
        cards = {c.pk: c for c in public.public_cards().filter(pk__in=ids)} if ids else {}
        return [cards[i] for i in ids if i in cards]


def _search_pg(query_text, filters, page, per_page):
    from . import facets as engine_facets

    found = engine_facets.evaluate(query_text, filters)
    if found is not None:
        engine, mask, counts, total = found
        paginator = Paginator(_EngineHits(query_text, filters, total, engine, mask), per_page)
        return paginator.get_page(page), _facet_values(counts, filters)
    counts, total = _counts_pg(query_text, filters)
    facets = _facet_values(counts, filters)
    paginator = Paginator(_Hits(query_text, filters, total), per_page)
    return paginator.get_page(page), facets


def matching_cards(query_text="", filters=None):
    """Every public card the search matches (same query and filters as :func:`search`), in the static
    order, as a queryset of ProjectCard with the organisations prefetched — for the open-data exports
    (iterate it with ``.iterator(chunk_size=…)``)."""
    filters = _clean_filters(filters)
    query_text = (query_text or "").strip()
    if connection.vendor == "postgresql":
        from django.db.models.expressions import RawSQL

        where, params = _where(query_text, filters)
        qs = public.public_cards().filter(pk__in=RawSQL(f"SELECT card_id FROM results_searchrow WHERE {where}",
                                                        params))
    else:
        qs, _ranked = _apply_text(public.public_cards(), query_text)
        qs = _apply_filters(qs, filters)
    return qs.order_by("-call_year", "identifier", "pk")
