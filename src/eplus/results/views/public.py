"""The public pages: search, a project, a result, an organisation, partner search, logos.

They render their main content from the public projection only and cache it (keyed on the path, the
query and the language; every publish event invalidates all of it). Anyone may open them.
"""

from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from eplus.core.files import file_response
from eplus.core.input import parse_id
from eplus.core.paging import page_numbers, paging_links
from eplus.core.permissions import public
from eplus.core.ratelimit import rate_limited
from eplus.core.replica import reads_replica
from eplus.programme.identifiers import is_oid, normalise_oid
from eplus.programme.models import Country

from .. import links
from .. import public as projection, search as search_module
from ..forms import PartnerSearchForm, SearchForm
from ..models import ProjectCard
from ._pages import cached, render_public, whole_page_cached

def _facet_groups(request, facets):
    """Each facet's values with the link that selects it (or, when selected, removes it)."""
    groups = []
    for key in search_module.FACETS:
        values = []
        for value in facets[key]:
            params = {k: v for k, v in request.GET.items() if k != "page"}
            if value.selected:
                params.pop(key, None)
            else:
                params[key] = value.value
            values.append({"value": value, "url": "?" + urlencode(params)})
        groups.append({"key": key, "label": search_module.FACET_LABELS[key], "values": values})
    return groups


@public
@rate_limited("search")
@reads_replica
@whole_page_cached
def search_page(request):
    def build():
        form = SearchForm(request.GET or None)
        valid = form.is_valid()
        query = form.cleaned_data.get("q", "") if valid else ""
        filters = form.filters() if form.is_bound else {}
        page_number = (form.cleaned_data.get("page") if valid else None) or 1
        if form.is_bound and "q" in form.errors:  # too long: the page says so and shows no project
            return {"body": render_to_string("results/_search_body.html", {"form": form, "filters": filters})}
        page, facets = search_module.search(query, filters, page_number)
        previous_url, next_url = paging_links(request, page)
        body = render_to_string("results/_search_body.html", {
            "form": form, "cards": [projection.public_card_dict(card) for card in page.object_list],
            "facet_groups": _facet_groups(request, facets), "paging": page_numbers(page),
            "previous_url": previous_url, "next_url": next_url, "query": query, "filters": filters,
            "corrected_query": getattr(page, "corrected_query", ""),
            "export_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
        })
        return {"body": body}

    return render_public(request, "results/public_page.html", {**cached(request, "search", build),
                                                               "title": _("Project results")})


@public
@reads_replica
@whole_page_cached
def project_page(request, identifier):
    def build():
        data = projection.public_card_page(identifier)
        if data is None:
            raise Http404
        return {"body": render_to_string("results/_project_body.html", {
            "card": data, "broken": links.broken_links(identifier)}), "title": data["title"]}

    context = cached(request, f"project:{identifier}", build)
    if request.user.is_authenticated:  # the template asks the rules what this user may do with it
        context["card_obj"] = ProjectCard.objects.filter(identifier=identifier).select_related("coordinator").first()
        return render(request, "results/project.html", context)
    return render_public(request, "results/project.html", context)


@public
@reads_replica
@whole_page_cached
def result_page(request, identifier, result_id):
    def build():
        result = projection.public_results_qs().select_related("card").prefetch_related("files").filter(
            pk=result_id, card__identifier=identifier).first()
        if result is None:
            notice = links.removal_notice(identifier, result_id)
            if notice is None:
                raise Http404
            body = render_to_string("results/_removed_result.html", {"notice": notice})
            return {"body": body, "title": _("Result removed"), "status": 410}
        body = render_to_string("results/_result_body.html", {
            "result": projection.public_result_dict(result), "result_obj": result, "card": result.card,
            "broken": links.broken_links(identifier)})
        return {"body": body, "title": result.title}

    context = cached(request, f"result:{identifier}:{result_id}", build)
    response = render_public(request, "results/public_page.html", context)
    response.status_code = context.get("status", 200)  # a result removed after publication: 410 Gone
    return response


def _organisation_entry(key):
    """The public entry named by an OID or an entry id, and the condition that finds its cards."""
    entries = projection.public_organisations()
    if is_oid(key):
        key = normalise_oid(key)
        entry = entries.filter(oid=key).order_by("-card__published_at", "pk").first()
        if entry is None:
            raise Http404
        return entry, Q(organisations__oid=key)
    entry = get_object_or_404(entries, pk=parse_id(key))  # neither an OID nor an entry id: 404
    same = (Q(organisations__oid=entry.oid) if entry.oid
            else Q(organisations__name=entry.name, organisations__country=entry.country))
    return entry, same


@public
@reads_replica
@whole_page_cached
def organisation_page(request, key):
    def build():
        entry, same = _organisation_entry(key)
        cards_qs = projection.public_cards().filter(same).distinct().order_by("-call_year", "identifier")
        page = Paginator(cards_qs, 50).get_page(request.GET.get("page") or 1)
        country = search_module._country_names([entry.country]).get(entry.country, entry.country)
        previous_url, next_url = paging_links(request, page)
        body = render_to_string("results/_organisation_body.html", {
            "entry": entry, "country_name": country,
            "cards": [projection.public_card_dict(card) for card in page.object_list],
            "paging": page_numbers(page), "previous_url": previous_url, "next_url": next_url,
        })
        return {"body": body, "title": entry.name}

    return render_public(request, "results/public_page.html", cached(request, f"organisation:{key}", build))


def _partner_entries(data):
    """Public organisation entries matching the partner search, one row per organisation."""
    qs = projection.public_organisations()
    if data.get("q"):
        qs = qs.filter(name__icontains=data["q"])
    if data.get("country"):
        qs = qs.filter(country=data["country"])
    if data.get("sector"):
        qs = qs.filter(card__sector=data["sector"])
    if data.get("topic"):
        qs = qs.filter(card__topics_text__icontains=data["topic"])
    return (qs.values("oid", "name", "country", "organisation_type")
            .annotate(projects=Count("card", distinct=True), first_id=Min("pk"))
            .order_by("-projects", "name", "country"))


@public
@rate_limited("search")
@reads_replica
@whole_page_cached
def partner_search(request):
    def build():
        countries = [(c.code, c.display_name) for c in Country.objects.order_by("name").only("code", "name", "name_lv")]
        form = PartnerSearchForm(request.GET or None, countries=countries)
        context = {"form": form, "rows": [], "paging": None, "searched": False, "previous_url": "", "next_url": ""}
        if form.is_bound and form.is_valid():
            page = Paginator(_partner_entries(form.cleaned_data), 25).get_page(form.cleaned_data.get("page") or 1)
            names = dict(countries)
            previous_url, next_url = paging_links(request, page)
            context.update(
                searched=True, paging=page_numbers(page), previous_url=previous_url, next_url=next_url,
                rows=[{**row, "country_name": names.get(row["country"], row["country"]),
                       "key": row["oid"] or str(row["first_id"])} for row in page.object_list])
        return {"body": render_to_string("results/_partners_body.html", context)}

    return render_public(request, "results/public_page.html", {**cached(request, "partners", build),
                                                               "title": _("Find partners")})


@public
@reads_replica
def logo(request, identifier, kind):
    card = get_object_or_404(projection.public_cards(), identifier=identifier)
    field = card.logo_thumbnail if kind == "thumbnail" else card.logo
    if not field:
        raise Http404
    return file_response(field, as_attachment=False, public=True)
