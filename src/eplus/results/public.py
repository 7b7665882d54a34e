"""THE public projection of the results platform: the one place that decides what is public.

Pages, search, facets, the JSON API, the sitemap, the Atom feed (and the open-data exports) all take
their data from these functions and nothing else:

- a card is public once it is published (``published_at`` set when the agreement is signed);
- its participating organisations are public (organisation data only, never people);
- a result is public only if the beneficiary left it public, the agency approved the results and
  the project is finalised or terminated with eligible costs (``RESULTS_PUBLIC_STATUSES``); its files are
  public with it;
- a contact person is public only once the beneficiary published it.
"""

import functools
import json
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from eplus.core.replica import read_connection

from .models import RESULTS_PUBLIC_STATUSES, CardOrganisation, Contact, ProjectCard, Result, ResultFile, ResultsStatus

# The conditions, written once.
PUBLIC_CARD_Q = Q(published_at__isnull=False)
PUBLIC_RESULT_Q = Q(public=True, card__published_at__isnull=False, card__results_status=ResultsStatus.APPROVED,
                    card__status__in=RESULTS_PUBLIC_STATUSES)
PUBLIC_CONTACT_Q = Q(published=True, card__published_at__isnull=False)


def public_results_qs():
    return Result.objects.filter(PUBLIC_RESULT_Q)


def public_contacts_qs():
    return Contact.objects.filter(PUBLIC_CONTACT_Q)


def public_files_qs():
    return ResultFile.objects.filter(result__in=public_results_qs())


def public_cards(*, with_details=False):
    """Published cards with their organisations prefetched (and public results/contacts when asked)."""
    qs = ProjectCard.objects.filter(PUBLIC_CARD_Q).select_related("agency").prefetch_related(
        Prefetch("organisations", queryset=CardOrganisation.objects.order_by("order", "pk"),
                 to_attr="public_organisations"),
    )
    if with_details:
        qs = qs.prefetch_related(
            Prefetch("results", queryset=public_results_qs().prefetch_related(
                Prefetch("files", queryset=ResultFile.objects.order_by("pk"))).order_by("created_at", "pk"),
                to_attr="public_results_list"),
            Prefetch("contacts", queryset=public_contacts_qs().order_by("name", "pk"), to_attr="public_contacts_list"),
        )
    return qs


def is_public_card(card):
    return card.published_at is not None


def is_public_result(result):
    card = result.card
    return (result.public and is_public_card(card) and card.results_status == ResultsStatus.APPROVED
            and card.results_may_be_public)


def public_organisations_of(card):
    if hasattr(card, "public_organisations"):
        return card.public_organisations
    return list(card.organisations.order_by("order", "pk"))


def public_results(card):
    if hasattr(card, "public_results_list"):
        return card.public_results_list
    return list(public_results_qs().filter(card=card).prefetch_related("files").order_by("created_at", "pk"))


def public_contacts(card):
    if hasattr(card, "public_contacts_list"):
        return card.public_contacts_list
    return list(public_contacts_qs().filter(card=card).order_by("name", "pk"))


def public_organisations():
    """Participating organisations of public cards."""
    return CardOrganisation.objects.filter(card__published_at__isnull=False)


def public_result_types(card):
    return sorted({r.result_type for r in public_results(card)})


def participating_countries(card):
    return _countries_in_order(org.country for org in public_organisations_of(card))


def _countries_in_order(countries):
    """Each country once, in the order of the organisations (coordinator first)."""
    seen = []
    for country in countries:
        if country and country not in seen:
            seen.append(country)
    return seen


def _org_dict(org):
    return {
        "role": org.role,
        "oid": org.oid,
        "name": org.name,
        "type": org.organisation_type,
        "address": org.address,
        "region": org.region,
        "country": org.country,
        "website": org.website,
        "page_key": org.page_key,
    }


def public_file_dict(file):
    return {"id": file.pk, "name": file.original_name, "size": file.size, "sha256": file.sha256,
            "content_type": file.content_type}


def public_result_dict(result):
    return {
        "id": result.pk,
        "title": result.title,
        "type": result.result_type,
        "description": result.description_en,
        "link": result.link,
        "published_at": result.published_at,
        "files": [public_file_dict(f) for f in result.files.all()],
    }


def public_card_dict(card, *, detail=False):
    """Everything public about one card, as plain data. ``detail`` adds results and contacts."""
    organisations = public_organisations_of(card)
    coordinator = next((o for o in organisations if o.role == CardOrganisation.Role.COORDINATOR), None)
    data = {
        "identifier": card.identifier,
        "title": card.title,
        "summary": card.summary_en,
        "programme": card.programme,
        "key_action": card.key_action,
        "action": card.action,
        "action_type": card.action_type,
        "sector": card.sector,
        "call_year": card.call_year,
        "start_date": card.start_date,
        "end_date": card.end_date,
        "eu_grant": card.eu_grant,
        "topics": list(card.topics or []),
        "status": card.status,
        "good_practice": card.good_practice,
        "success_story": card.success_story,
        "website": card.website,
        "commission_url": card.commission_url,
        "has_logo": bool(card.logo_thumbnail),
        "agency": card.agency.code if card.agency_id else "",
        "countries": participating_countries(card),
        "coordinator": _org_dict(coordinator) if coordinator else None,
        "partners": [_org_dict(o) for o in organisations if o.role == CardOrganisation.Role.PARTNER],
        "published_at": card.published_at,
    }
    if detail:
        results = public_results(card)
        data["results"] = [public_result_dict(r) for r in results]
        data["results_available"] = bool(results)
        data["contacts"] = [{"name": c.name, "email": c.email, "phone": c.phone} for c in public_contacts(card)]
    return data


def public_card_page(identifier):
    """``public_card_dict(card, detail=True)`` of the public card ``identifier``, or None: the project page's
    data. On PostgreSQL it is one query (the page is the most requested one, and four ORM queries were
    most of its time when it is not cached); the conditions are the ones above, and a test compares the
    two ways on every kind of card."""
    connection = read_connection()
    if connection.vendor != "postgresql":
        card = public_cards(with_details=True).filter(identifier=identifier).first()
        return public_card_dict(card, detail=True) if card is not None else None
    with connection.cursor() as cursor:
        cursor.execute(_page_sql(), [identifier])
        row = cursor.fetchone()
    if row is None:
        return None
    (_pk, ident, title, summary, programme, key_action, action, action_type, sector, call_year, start_date,
     end_date, eu_grant, topics, status, good_practice, success_story, website, logo_thumbnail, agency,
     published_at, results_status, commission_url, organisations, results, contacts) = row
    organisations = [dict(zip(_ORG_KEYS, org, strict=True)) for org in _json(organisations)]
    for org in organisations:
        org["page_key"] = org["oid"] or str(org["pk"])
        del org["pk"]
    countries = _countries_in_order(org["country"] for org in organisations)
    if results_status != ResultsStatus.APPROVED or status not in RESULTS_PUBLIC_STATUSES:
        results = None  # results are public only once approved and the project finalised (PUBLIC_RESULT_Q)
    results = [{"id": r[0], "title": r[1], "type": r[2], "description": r[3], "link": r[4],
                "published_at": datetime.fromisoformat(r[5]) if r[5] else None,
                "files": [dict(zip(("id", "name", "size", "sha256", "content_type"), f, strict=True)) for f in r[6] or []]}
               for r in _json(results)]
    return {
        "identifier": ident, "title": title, "summary": summary, "programme": programme, "key_action": key_action,
        "action": action, "action_type": action_type, "sector": sector, "call_year": call_year,
        "start_date": start_date, "end_date": end_date, "eu_grant": eu_grant, "topics": list(_json(topics)),
        "status": status, "good_practice": good_practice, "success_story": success_story, "website": website,
        "commission_url": commission_url, "has_logo": bool(logo_thumbnail), "agency": agency or "", "countries": countries,
        "coordinator": next((o for o in organisations if o["role"] == CardOrganisation.Role.COORDINATOR), None),
        "partners": [o for o in organisations if o["role"] == CardOrganisation.Role.PARTNER],
        "published_at": published_at, "results": results, "results_available": bool(results),
        "contacts": [dict(zip(("name", "email", "phone"), c, strict=True)) for c in _json(contacts)],
    }


def _json(value):
    if value is None:
        return []
    return json.loads(value) if isinstance(value, (str, bytes)) else value


_ORG_KEYS = ("role", "oid", "name", "type", "address", "region", "country", "website", "pk")
_PAGE_SQL = """
SELECT c.id, c.identifier, c.title, c.summary_en, c.programme, c.key_action, c.action, c.action_type, c.sector,
       c.call_year, c.start_date, c.end_date, c.eu_grant, c.topics, c.status, c.good_practice, c.success_story,
       c.website, c.logo_thumbnail, a.code, c.published_at, c.results_status, c.commission_url,
       (SELECT json_agg(json_build_array(o.role, o.oid, o.name, o.organisation_type, o.address, o.region,
                                         o.country, o.website, o.id) ORDER BY o."order", o.id)
          FROM {orgs} o WHERE o.card_id = c.id),
       (SELECT json_agg(json_build_array(r.id, r.title, r.result_type, r.description_en, r.link, r.published_at,
                 (SELECT json_agg(json_build_array(f.id, f.original_name, f.size, f.sha256, f.content_type)
                                  ORDER BY f.id) FROM {files} f WHERE f.result_id = r.id))
                 ORDER BY r.created_at, r.id)
          FROM {results} r WHERE r.card_id = c.id AND r.public),
       (SELECT json_agg(json_build_array(k.name, k.email, k.phone) ORDER BY k.name, k.id)
          FROM {contacts} k WHERE k.card_id = c.id AND k.published)
FROM {cards} c LEFT JOIN {agencies} a ON a.id = c.agency_id
WHERE c.identifier = %s AND c.published_at IS NOT NULL
"""


@functools.cache
def _page_sql():
    agencies = ProjectCard._meta.get_field("agency").related_model._meta.db_table
    return _PAGE_SQL.format(orgs=CardOrganisation._meta.db_table, files=ResultFile._meta.db_table,
                            results=Result._meta.db_table, contacts=Contact._meta.db_table,
                            cards=ProjectCard._meta.db_table, agencies=agencies)


def public_search_text(card):
    """The public text a card is found by: title, summary, identifier, topics, organisations,
    and its public results (hidden results never)."""
    parts = [card.identifier, card.title, card.summary_en, " ".join(card.topics or []), card.action_type]
    for org in card.organisations.all():
        parts += [org.name, org.address, org.region, org.country]
    for result in public_results_qs().filter(card=card):
        parts += [result.title, result.description_en]
    return "\n".join(p for p in parts if p)


def public_results_feed(limit=50):
    """Newly published public results, newest first (the Atom feed)."""
    return (public_results_qs().filter(published_at__isnull=False, published_at__lte=timezone.now())
            .select_related("card").order_by("-published_at", "-pk")[:limit])
