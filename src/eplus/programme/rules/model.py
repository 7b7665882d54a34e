"""Plain, immutable inputs and outputs of the eligibility engine (DOMAIN §4–5).

Nothing here touches the database: the caller maps the programme's reference data to ``CallRules``
(``CallRules.from_dict`` takes plain JSON), the countries to ``CountryInfo`` and the application to
``Application`` (``parse.parse_request`` does that for the public pre-check API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from eplus.core.money import eur
from eplus.core.time import parse_brussels

ERROR = "error"
WARNING = "warning"

APPLICANT = "applicant"
PARTNER = "partner"
ASSOCIATED_PARTNER = "associated-partner"
ROLES = (APPLICANT, PARTNER, ASSOCIATED_PARTNER)
FULL_ROLES = (APPLICANT, PARTNER)  # the consortium proper; associated partners never count

ORGANISATION_TYPES = (
    "school", "school-authority", "school-coordinating-body", "vet-provider", "higher-education",
    "adult-education", "youth-organisation", "ngo", "public-body", "enterprise", "other",
)

EU_MEMBER = "eu-member"
ASSOCIATED = "associated"
NON_ASSOCIATED = "non-associated"
NOT_ELIGIBLE = "not-eligible"  # an ISO country the programme places in no region: never eligible
PROGRAMME_STATUSES = (EU_MEMBER, ASSOCIATED)

CERTIFIED = "certified"
REJECTED = "rejected"

ACTIVITIES = "activities"
WORK_PACKAGES = "work-packages"

SUBMITTED = "submitted"
WITHDRAWN = "withdrawn"


def _date(value):
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value))


def _instant(value):
    if value is None or isinstance(value, datetime):
        if value is not None and value.tzinfo is None:
            raise ValueError("deadlines must be aware datetimes")
        return value
    return parse_brussels(str(value))


def _money_tuple(values):
    return tuple(eur(v) for v in values or ())


@dataclass(frozen=True)
class CountryInfo:
    code: str
    status: str  # eu-member | associated | non-associated | not-eligible
    region: int | None = None  # 1–14 for non-associated third countries
    name: str | None = None  # shown in messages (already translated by the caller); the code otherwise

    @property
    def is_programme_country(self):
        return self.status in PROGRAMME_STATUSES


@dataclass(frozen=True)
class SchoolDevelopment:
    """KA240-style composition: authorities, each bringing schools of its own country."""

    authority_types: tuple[str, ...] = ("school-authority", "school-coordinating-body")
    school_types: tuple[str, ...] = ("school",)
    min_authority_countries: int = 2
    min_schools_per_authority: int = 2


@dataclass(frozen=True)
class CallRules:
    """Everything a rule needs from one call (action, sector, year, round) of the reference data."""

    action: str  # "KA220"
    sector: str | None = None  # "VET"; None for actions without sectors
    year: int | None = None
    round: int | None = None
    deadline: datetime | None = None  # aware; the instant itself is already late
    incident_report_hours: int | None = None  # technical problems are reported within this after the deadline
    agency_code: str | None = None  # agency receiving applications of this call, e.g. "LV01"
    agency_country: str | None = None  # the applicant must be established there (None: any)
    start_from: date | None = None
    start_to: date | None = None
    lump_sum_options: tuple[Decimal, ...] = ()  # choose one of these …
    lump_sum_max: Decimal | None = None  # … or any amount up to this maximum
    duration_min_months: int | None = None
    duration_max_months: int | None = None
    min_organisations: int = 0
    min_countries: int = 0
    third_country_roles: tuple[str, ...] = ()  # roles open to non-associated third countries
    third_country_regions: tuple[int, ...] | None = ()  # their allowed regions; None = any region
    excluded_countries: tuple[str, ...] = ()  # e.g. ("BY",) — never, in any role
    associated_partners_allowed: bool = True
    applicant_types: tuple[str, ...] = ()  # empty = any type may apply
    school_development: SchoolDevelopment | None = None
    applicant_max_per_round: int | None = None  # e.g. 1 for KA210 (all sectors of the action)
    involvement_cap: int | None = None  # 5 for KA210, 10 for KA220
    involvement_exempt_sectors: tuple[str, ...] = ()  # ("HED",) for KA220
    certified_oid_roles: tuple[str, ...] = ()  # roles whose organisations need a certified OID (KA220-HED)
    certified_oid_types: tuple[str, ...] = ()  # … of these organisation types only (empty = every type)
    certified_oid_programme_only: bool = False  # … established in programme countries only
    consortium_once_per_deadline: bool = True
    coordinator_min_years: int | None = None  # 2 for KA220
    structure: str | None = None  # "activities" | "work-packages"
    management_max_percent: Decimal | None = None  # 20
    wp_min: int | None = None  # further work packages besides WP1 management
    wp_max: int | None = None
    wp_recommended_max: int | None = None
    min_priorities: int = 0
    priorities: tuple[str, ...] = ()  # codes offered by the call (horizontal + sector); empty = any
    max_topics: int | None = None
    sources: dict = field(default_factory=dict, compare=False, hash=False)  # rule id -> source text

    @property
    def action_type(self):
        return f"{self.action}-{self.sector}" if self.sector else self.action

    @classmethod
    def from_dict(cls, d):
        """Build from plain JSON: money and percentages as strings, dates ISO, the deadline ISO with
        offset or Brussels wall clock ("2026-03-05 12:00")."""
        d = dict(d)
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown call rule keys: {sorted(unknown)}")
        sd = d.get("school_development")
        if isinstance(sd, dict):
            sd = SchoolDevelopment(**{k: tuple(v) if isinstance(v, list) else v for k, v in sd.items()})
        regions = d.get("third_country_regions", ())
        return cls(
            action=d["action"],
            sector=d.get("sector"),
            year=d.get("year"),
            round=d.get("round"),
            deadline=_instant(d.get("deadline")),
            incident_report_hours=d.get("incident_report_hours"),
            agency_code=d.get("agency_code"),
            agency_country=d.get("agency_country"),
            start_from=_date(d.get("start_from")),
            start_to=_date(d.get("start_to")),
            lump_sum_options=_money_tuple(d.get("lump_sum_options")),
            lump_sum_max=eur(d["lump_sum_max"]) if d.get("lump_sum_max") is not None else None,
            duration_min_months=d.get("duration_min_months"),
            duration_max_months=d.get("duration_max_months"),
            min_organisations=d.get("min_organisations", 0),
            min_countries=d.get("min_countries", 0),
            third_country_roles=tuple(d.get("third_country_roles", ())),
            third_country_regions=None if regions is None else tuple(int(r) for r in regions),
            excluded_countries=tuple(d.get("excluded_countries", ())),
            associated_partners_allowed=d.get("associated_partners_allowed", True),
            applicant_types=tuple(d.get("applicant_types", ())),
            school_development=sd,
            applicant_max_per_round=d.get("applicant_max_per_round"),
            involvement_cap=d.get("involvement_cap"),
            involvement_exempt_sectors=tuple(d.get("involvement_exempt_sectors", ())),
            certified_oid_roles=tuple(d.get("certified_oid_roles", ())),
            certified_oid_types=tuple(d.get("certified_oid_types", ())),
            certified_oid_programme_only=bool(d.get("certified_oid_programme_only", False)),
            consortium_once_per_deadline=d.get("consortium_once_per_deadline", True),
            coordinator_min_years=d.get("coordinator_min_years"),
            structure=d.get("structure"),
            management_max_percent=(
                Decimal(str(d["management_max_percent"])) if d.get("management_max_percent") is not None else None
            ),
            wp_min=d.get("wp_min"),
            wp_max=d.get("wp_max"),
            wp_recommended_max=d.get("wp_recommended_max"),
            min_priorities=d.get("min_priorities", 0),
            priorities=tuple(d.get("priorities", ())),
            max_topics=d.get("max_topics"),
            sources=dict(d.get("sources", {})),
        )


@dataclass(frozen=True)
class Organisation:
    ref: str  # unique within the application ("A", or the partner row id)
    country: str  # ISO code
    role: str  # applicant | partner | associated-partner
    type: str | None = None
    established_on: date | None = None
    oid: str | None = None  # E + 8 digits; needed for the rules across applications
    status: str | None = None  # registration: under-validation | certified | rejected (None: not known)


@dataclass(frozen=True)
class WorkPackage:
    number: int
    management: bool = False
    amount: Decimal | None = None


@dataclass(frozen=True)
class Activity:
    amount: Decimal | None = None


@dataclass(frozen=True)
class Application:
    """The fields the rules read. ``None`` means "not given yet": rules needing it report passed=None.
    An empty tuple means "given, and empty"."""

    action: str  # "KA220-VET"
    call_year: int | None = None
    round: int | None = None
    lump_sum: Decimal | None = None
    start_date: date | None = None
    duration_months: int | None = None
    submitted_at: datetime | None = None
    # After the deadline, the window the agency gave by accepting a technical-incident report (and its number).
    late_until: datetime | None = None
    late_reference: str | None = None
    organisations: tuple[Organisation, ...] | None = None
    work_packages: tuple[WorkPackage, ...] | None = None
    activities: tuple[Activity, ...] | None = None
    priorities: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None
    id: str | None = None  # lets the rules across applications skip this application's own versions


@dataclass(frozen=True)
class OtherApplication:
    """Another application, for the rules across applications of the same deadline."""

    id: str | None
    action: str  # "KA210"
    sector: str | None
    deadline: datetime
    agency_code: str | None
    status: str  # only "submitted" ones count; "withdrawn" (or drafts) are ignored
    applicant_oid: str | None
    partner_oids: tuple[str, ...] = ()
    associated_partner_oids: tuple[str, ...] = ()

    @property
    def consortium(self):
        return frozenset({self.applicant_oid, *self.partner_oids} - {None})


@dataclass(frozen=True)
class Check:
    rule: str
    severity: str  # error | warning
    passed: bool | None  # None: not evaluated, an input is missing
    message: str
    source: str
    field: str = ""  # where the message belongs: "lump_sum", "organisations", "work_packages", …
    section: str = ""  # application form section: project, partners, budget, work-packages, submission

    def as_dict(self):
        """The public API shape."""
        return {"rule": self.rule, "severity": self.severity, "passed": self.passed,
                "message": self.message, "source": self.source}


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    checks: tuple[Check, ...]

    @property
    def errors(self):
        return tuple(c for c in self.checks if c.severity == ERROR and c.passed is False)

    @property
    def warnings(self):
        return tuple(c for c in self.checks if c.severity == WARNING and c.passed is False)

    def for_field(self, name):
        return tuple(c for c in self.checks if c.field == name)

    def for_section(self, name):
        return tuple(c for c in self.checks if c.section == name)

    def as_dict(self):
        return {"eligible": self.eligible, "checks": [c.as_dict() for c in self.checks]}
