"""Public search over project cards, behind one function: :func:`search`.

PostgreSQL: full-text search on a stored tsvector (GIN index) with ``websearch`` syntax, ranked.
SQLite (the demo): every word must occur in the public search text (``-word`` excludes it).
Only public data is searched and counted: the vector is built from the public projection.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

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
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(query_text, search_type="websearch", config="english")
        return qs.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query)), True
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
    from eplus.programme.models import Country

    return dict(Country.objects.filter(code__in=codes).values_list("code", "name"))


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
    qs, ranked = _apply_text(public.public_cards(), query_text)
    qs = _apply_filters(qs, filters)
    facets = facet_counts(qs, filters)
    ordering = (["-rank"] if ranked else []) + ["-call_year", "identifier"]
    paginator = Paginator(qs.order_by(*ordering), per_page)
    return paginator.get_page(page), facets
