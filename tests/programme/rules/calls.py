"""The 2026 figures of DOMAIN §4–5 as plain dicts, exactly as the reference data would hand them over.

They mirror the programme's reference data; the engine never holds these numbers itself.
"""

from datetime import date
from decimal import Decimal

from eplus.programme.rules import (
    Activity, Application, CallRules, CountryInfo, Organisation, OtherApplication, WorkPackage,
)
from eplus.programme.rules.model import ASSOCIATED, EU_MEMBER, NON_ASSOCIATED

EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
ASSOCIATED_COUNTRIES = "IS LI NO RS TR MK".split()
REGIONS = {
    1: "AL BA XK ME", 2: "AM AZ BY GE MD UA", 3: "DZ EG IL JO LB LY MA PS SY TN", 4: "RU",
    5: "AD MC SM VA", 13: "US CA JP", 14: "CH GB FO",
}

NAMES = {"LV": "Latvia", "LT": "Lithuania", "EE": "Estonia", "PL": "Poland", "DE": "Germany", "FI": "Finland",
         "TR": "Türkiye", "UA": "Ukraine", "BY": "Belarus", "RU": "Russian Federation", "CH": "Switzerland"}

COUNTRIES = (
    [CountryInfo(c, EU_MEMBER, name=NAMES.get(c)) for c in EU]
    + [CountryInfo(c, ASSOCIATED, name=NAMES.get(c)) for c in ASSOCIATED_COUNTRIES]
    + [CountryInfo(c, NON_ASSOCIATED, region, NAMES.get(c)) for region, codes in REGIONS.items() for c in codes.split()]
)

HORIZONTAL = ["inclusion-diversity", "environment-climate", "digital-transformation", "common-values"]
VET_PRIORITIES = ["vet-labour-market", "vet-flexibility", "vet-innovation", "vet-attractiveness", "vet-ukraine"]

COMMON = {
    "year": 2026,
    "agency_code": "LV01",
    "agency_country": "LV",
    "excluded_countries": ["BY"],
    "associated_partners_allowed": True,
    "min_priorities": 1,
    "priorities": HORIZONTAL + VET_PRIORITIES,
    "consortium_once_per_deadline": True,
}

KA210_VET = {
    **COMMON,
    "action": "KA210", "sector": "VET", "round": 1,
    "deadline": "2026-03-05 12:00",  # Brussels wall clock
    "start_from": "2026-09-01", "start_to": "2026-12-31",
    "lump_sum_options": ["30000", "60000"],
    "duration_min_months": 6, "duration_max_months": 24,
    "min_organisations": 2, "min_countries": 2,
    "third_country_roles": [], "third_country_regions": [],
    "applicant_max_per_round": 1,
    "involvement_cap": 5,
    "structure": "activities",
    "sources": {"limits.involvement-cap": "seed 002, slide 'Maza mēroga partnerības'"},
}

KA210_VET_ROUND2 = {
    **KA210_VET, "round": 2, "deadline": "2026-10-01T12:00:00+02:00",
    "start_from": "2027-01-01", "start_to": "2027-05-31",
}

KA220_VET = {
    **COMMON,
    "action": "KA220", "sector": "VET", "round": 1,
    "deadline": "2026-03-05T12:00:00+01:00",
    "start_from": "2026-09-01", "start_to": "2026-12-31",
    "lump_sum_options": ["120000", "250000", "400000"],
    "duration_min_months": 12, "duration_max_months": 36,
    "min_organisations": 3, "min_countries": 3,
    "third_country_roles": ["partner", "associated-partner"], "third_country_regions": [1, 2, 3],
    "involvement_cap": 10, "involvement_exempt_sectors": ["HED"],
    "coordinator_min_years": 2,
    "structure": "work-packages",
    "management_max_percent": "20", "wp_min": 1, "wp_max": 10, "wp_recommended_max": 4,
    "max_topics": 3,
}

KA220_HED = {**KA220_VET, "sector": "HED", "priorities": HORIZONTAL + ["hed-priority"]}

KA240_SCH = {
    **COMMON,
    "action": "KA240", "sector": None, "round": 1,
    "deadline": "2026-04-09 12:00",
    "lump_sum_options": ["400000"],
    "duration_min_months": 36, "duration_max_months": 36,
    "min_organisations": 6, "min_countries": 2,
    "applicant_types": ["school-authority", "school-coordinating-body"],
    "school_development": {"authority_types": ["school-authority", "school-coordinating-body"],
                           "school_types": ["school"], "min_authority_countries": 2,
                           "min_schools_per_authority": 2},
    "applicant_max_per_round": 1,
    "structure": "work-packages",
    "management_max_percent": "20", "wp_min": 1, "wp_max": 10, "wp_recommended_max": 4,
    "priorities": [],
}


def call(data, **overrides):
    return CallRules.from_dict({**data, **overrides})


def org(ref, country, role="partner", **kw):
    return Organisation(ref=ref, country=country, role=role, **kw)


def ka210_application(**overrides):
    """An eligible KA210-VET application: 2 organisations from 2 programme countries, 60 000 EUR."""
    values = dict(
        action="KA210-VET", lump_sum=Decimal("60000.00"), start_date=date(2026, 9, 1), duration_months=12,
        organisations=(
            org("A", "LV", "applicant", type="vet-provider", established_on=date(2020, 1, 1), oid="E10000001"),
            org("B", "EE", type="ngo", oid="E10000002"),
        ),
        activities=(Activity(Decimal("25000.00")), Activity(Decimal("35000.00"))),
        priorities=("inclusion-diversity",),
    )
    values.update(overrides)
    return Application(**values)


def ka220_application(**overrides):
    """An eligible KA220-VET application: 3 organisations from 3 programme countries, 250 000 EUR."""
    values = dict(
        action="KA220-VET", lump_sum=Decimal("250000.00"), start_date=date(2026, 9, 1), duration_months=24,
        organisations=(
            org("A", "LV", "applicant", type="school-authority", established_on=date(2001, 5, 4), oid="E10000001"),
            org("B", "LT", type="vet-provider", oid="E10000002"),
            org("C", "EE", type="enterprise", oid="E10000003"),
        ),
        work_packages=(
            WorkPackage(1, True, Decimal("50000.00")),
            WorkPackage(2, False, Decimal("100000.00")),
            WorkPackage(3, False, Decimal("100000.00")),
        ),
        priorities=("digital-transformation", "vet-innovation"),
        topics=("digital skills",),
    )
    values.update(overrides)
    return Application(**values)


def other(oids, *, action="KA210", sector="VET", deadline=None, agency="LV01",
          status="submitted", id=None, associated=()):
    """Another submitted application of the same deadline; ``oids`` are its applicant, then its partners."""
    from eplus.core.time import brussels

    oids = list(oids)
    return OtherApplication(
        id=id, action=action, sector=sector, deadline=deadline or brussels(2026, 3, 5), agency_code=agency,
        status=status, applicant_oid=oids[0], partner_oids=tuple(oids[1:]),
        associated_partner_oids=tuple(associated),
    )
