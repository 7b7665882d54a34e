"""Read-side questions about organisations: whom a person acts for, the public search, likely duplicates."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process, utils

from eplus.programme.identifiers import normalise_oid

from . import validators
from .models import Membership, Organisation

# Fuzzy name search: rapidfuzz WRatio (0–100) at or above this is a hit.
SEARCH_NAME_CUTOFF = 80
# Same country and a token-sorted name similarity at or above this is a likely duplicate.
DUPLICATE_NAME_CUTOFF = 90
SEARCH_LIMIT = 50


def memberships_for(user):
    """The organisations a person acts for (one query), used by the dashboard and My organisations."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation", "organisation__country")
        .order_by("organisation__legal_name")
    )


def search_organisations(*, name="", country="", oid="", registration_number="", vat_number="", limit=SEARCH_LIMIT):
    """Organisations matching every given criterion; the name is matched fuzzily (rapidfuzz).

    Two queries whatever the number of results: candidate names, then the hits with their country.
    Without any criterion nothing is returned (the public list is never unbounded).
    """
    queryset = Organisation.objects.all()
    given = False
    if country:
        queryset = queryset.filter(country_id=country.upper() if isinstance(country, str) else country.pk)
        given = True
    if oid:
        queryset = queryset.filter(oid=normalise_oid(oid))
        given = True
    if registration_number:
        queryset = queryset.filter(registration_number=validators.compact(registration_number))
        given = True
    if vat_number:
        vat = validators.compact(vat_number)
        condition = Q(vat_number=vat)
        if vat.isdigit() and len(vat) >= 6:  # typed without its country prefix
            condition |= Q(vat_number__regex=rf"^[A-Z]{{2}}{vat}$")
        queryset = queryset.filter(condition)
        given = True
    name = (name or "").strip()
    if not given and not name:
        return []
    if not name:
        return list(queryset.select_related("country").order_by("legal_name")[:limit])
    scores = {}
    candidates = list(queryset.values_list("pk", "legal_name", "business_name"))
    for column in (1, 2):
        choices = {row[0]: row[column] for row in candidates if row[column]}
        for _text, score, pk in process.extract(
            name, choices, scorer=fuzz.WRatio, processor=utils.default_process,
            score_cutoff=SEARCH_NAME_CUTOFF, limit=limit,
        ):
            scores[pk] = max(score, scores.get(pk, 0))
    ranked = sorted(scores, key=lambda pk: -scores[pk])[:limit]
    found = Organisation.objects.select_related("country").in_bulk(ranked)
    return [found[pk] for pk in ranked if pk in found]


@dataclass
class Duplicate:
    organisation: Organisation
    reason: str


def find_duplicates(country_code, registration_number="", legal_name="", exclude_pk=None):
    """Likely duplicates: same country and registration number, or a very similar name in the country."""
    if not country_code:
        return []
    queryset = Organisation.objects.filter(country_id=country_code).select_related("country")
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    found = {}
    number = validators.compact(registration_number)
    if number:
        for org in queryset.filter(registration_number=number):
            found[org.pk] = Duplicate(org, _("It has the same registration number in the same country."))
    if legal_name:
        names = {pk: text for pk, text in queryset.values_list("pk", "legal_name") if pk not in found}
        hits = process.extract(
            legal_name, names, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
            score_cutoff=DUPLICATE_NAME_CUTOFF, limit=10,
        )
        if hits:
            for org in queryset.filter(pk__in=[pk for _t, _s, pk in hits]):
                found[org.pk] = Duplicate(org, _("It has a very similar name in the same country."))
    return list(found.values())
