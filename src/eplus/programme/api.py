"""Read API of the programme reference data, mounted at /api/v1/programme/ (see eplus.api.urls)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from ninja import Router, Schema
from ninja.errors import HttpError

from eplus.core.time import to_brussels

from .models import Action, Call, Country

router = Router(tags=["programme"])


class CountryOut(Schema):
    code: str
    name: str
    status: str
    region: Optional[int] = None
    programme_country: bool


class ActionOut(Schema):
    code: str
    name: str
    name_lv: str
    key_action: str
    sectors: list[str]
    managing_agency_kind: str
    managing_agency: Optional[str] = None
    funding_model: str


class LotOut(Schema):
    code: str
    name_en: str
    grant_maximum: Optional[str] = None
    duration_months: Optional[int] = None


class CallOut(Schema):
    year: int
    round: int
    action: str
    action_name: str
    title: str
    deadline: datetime
    start_earliest: Optional[date] = None
    start_latest: Optional[date] = None
    funding_model: str
    lump_sum_options: list[str]
    grant_maximum: Optional[str] = None
    lots: list[LotOut]
    duration_min_months: Optional[int] = None
    duration_max_months: Optional[int] = None
    max_topics: Optional[int] = None


def _money(value):
    return None if value is None else f"{Decimal(str(value)):.2f}"


@router.get("/countries", response=list[CountryOut], summary="Countries with their programme status and region")
def countries(request, status: Optional[Country.Status] = None):
    queryset = Country.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    return [
        {"code": c.code, "name": c.name, "status": c.status, "region": c.region,
         "programme_country": c.is_programme_country}
        for c in queryset
    ]


@router.get("/actions", response=list[ActionOut], summary="KA2 actions and centralised actions")
def actions(request):
    return [
        {"code": a.code, "name": a.name_en, "name_lv": a.name_lv, "key_action": a.key_action, "sectors": a.sectors,
         "managing_agency_kind": a.managing_agency_kind,
         "managing_agency": a.managing_agency.code if a.managing_agency_id else None,
         "funding_model": a.funding_model}
        for a in Action.objects.filter(active=True).select_related("managing_agency")
    ]


@router.get("/calls", response=list[CallOut],
            summary="Calls with deadlines (ISO 8601 in Brussels time), start windows, amounts and durations")
def calls(request, year: Optional[int] = None, action: Optional[str] = None):
    queryset = Call.objects.select_related("action")
    if year is not None:
        queryset = queryset.filter(year=year)
    if action:
        code = action.strip().upper()
        if not Action.objects.filter(code=code).exists():
            raise HttpError(400, f"Unknown action {code}: use a code from /api/v1/programme/actions.")
        queryset = queryset.filter(action__code=code)
    return [
        {"year": c.year, "round": c.round, "action": c.action.code, "action_name": c.action.name_en,
         "title": c.title_en, "deadline": to_brussels(c.deadline), "start_earliest": c.start_earliest,
         "start_latest": c.start_latest, "funding_model": c.funding_model,
         "lump_sum_options": [_money(v) for v in c.lump_sums], "grant_maximum": _money(c.grant_maximum),
         "lots": [dict(lot, grant_maximum=_money(lot.get("grant_maximum"))) for lot in c.lots],
         "duration_min_months": c.duration_min_months, "duration_max_months": c.duration_max_months,
         "max_topics": c.max_topics}
        for c in queryset.order_by("deadline", "action__code", "round")
    ]
