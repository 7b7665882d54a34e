import json
from datetime import datetime, timezone

import pytest
from django.core.exceptions import ValidationError

from eplus.programme.models import Call
from eplus.programme.services import (
    NoAgency, UnknownActionType, UnknownCall, agency_for, call_rules, find_call, open_calls,
    resolve_action_type, upcoming_deadlines,
)


@pytest.mark.django_db
@pytest.mark.parametrize("text, code, sector", [
    ("KA220-VET", "KA220", "VET"),
    (" ka210-sch ", "KA210", "SCH"),
    ("KA240", "KA240", "SCH"),
    ("KA240-SCH", "KA240", "SCH"),
    ("PI-FORWARD", "PI-FORWARD", None),
    ("PI-ALL-INNO-VET", "PI-ALL-INNO", "VET"),
])
def test_resolve_action_type(programme, text, code, sector):
    action, found_sector = resolve_action_type(text)
    assert (action.code, found_sector) == (code, sector)


@pytest.mark.django_db
@pytest.mark.parametrize("text, message", [
    ("KA210-HED", "has no sector HED"),
    ("KA999-VET", "there is no action KA999"),
    ("KA220", "needs a sector"),
    ("", "Give an action type"),
])
def test_resolve_action_type_errors_say_what_is_wrong(programme, text, message):
    with pytest.raises(UnknownActionType, match=message):
        resolve_action_type(text)


@pytest.mark.django_db
def test_agency_for(programme):
    assert agency_for("LV", "KA220", "VET").code == "LV01"
    assert agency_for("lv", "KA210", "YOU").code == "LV02"
    assert agency_for("TR", "KA220", "HED").code == "TR01"
    action, sector = resolve_action_type("KA240")
    assert agency_for("DE", action, sector).code == "DE01"
    assert agency_for("LV", "PI-ALL-INNO", "VET").code == "EACEA"
    assert agency_for("CH", "EUR-UNIV", "HED").code == "EACEA"


@pytest.mark.django_db
def test_agency_for_refuses_what_no_agency_handles(programme):
    with pytest.raises(NoAgency, match="Switzerland"):
        agency_for("CH", "KA220", "VET")
    with pytest.raises(NoAgency, match="no sector HED"):
        agency_for("LV", "KA210", "HED")
    with pytest.raises(NoAgency):
        agency_for("ZZ", "KA220", "VET")
    with pytest.raises(UnknownActionType):
        agency_for("LV", "KA999", "VET")


@pytest.mark.django_db
def test_upcoming_deadlines_soonest_first_and_the_deadline_instant_is_closed(programme):
    now = datetime(2026, 1, 10, tzinfo=timezone.utc)
    calls = upcoming_deadlines(now, limit=4)
    assert [(c.action.code, c.round, c.year) for c in calls] == [
        ("KA210", 1, 2026), ("KA220", 1, 2026), ("KA240", 1, 2026), ("KA210", 2, 2026)]
    assert calls[0].deadline == datetime(2026, 3, 5, 11, 0, tzinfo=timezone.utc)
    assert len(upcoming_deadlines(now, limit=2)) == 2
    at_deadline = datetime(2026, 3, 5, 11, 0, tzinfo=timezone.utc)
    assert [(c.action.code, c.year) for c in open_calls(at_deadline)][:2] == [("KA240", 2026), ("KA210", 2026)]
    # The provisional 2027 calls follow; after the last of them nothing is open.
    assert [c.year for c in upcoming_deadlines(datetime(2027, 1, 1, tzinfo=timezone.utc), limit=5)] == [2027] * 4
    assert upcoming_deadlines(datetime(2028, 1, 1, tzinfo=timezone.utc), limit=5) == []


@pytest.mark.django_db
def test_find_call(programme):
    assert find_call(2026, "ka210", 2).deadline.month == 10
    with pytest.raises(UnknownCall, match="no 2030 call"):
        find_call(2030, "KA210")


@pytest.mark.django_db
def test_call_rules_are_plain_json_with_every_rule(programme):
    rules = call_rules(find_call(2026, "KA220"))
    json.dumps(rules)  # plain data only: raises on model instances, Decimals or dates
    assert rules["call"] == {"year": 2026, "round": 1, "action": "KA220", "key_action": "KA2",
                             "sectors": ["SCH", "VET", "HED", "ADU", "YOU"], "title": "Cooperation partnerships 2026",
                             "managing_agency_kind": "national", "managing_agency": None}
    assert rules["deadline"] == "2026-03-05T12:00:00+01:00"
    assert rules["deadline_utc"] == "2026-03-05T11:00:00+00:00"
    assert rules["start_window"] == {"earliest": "2026-09-01", "latest": "2026-12-31"}
    assert rules["funding"]["lump_sum_options"] == ["120000.00", "250000.00", "400000.00"]
    assert rules["duration_months"] == {"min": 12, "max": 36}
    assert rules["coordinator_min_age_years"] == 2 and rules["max_topics"] == 3
    assert rules["composition"]["third_countries"]["regions"] == [1, 2, 3]
    assert rules["composition"]["third_countries"]["excluded_countries"] == ["BY"]
    assert rules["organisation_limits"]["max_involvements_per_deadline"] == 10
    assert rules["organisation_limits"]["excluded_sectors"] == ["HED"]
    assert rules["structure"]["management_max_percent"] == "20"
    assert (rules["structure"]["min_further"], rules["structure"]["max_further"], rules["structure"]["warn_above_further"]) == (1, 10, 4)
    assert [c["threshold"] for c in rules["award"]["criteria"]] == ["12.5", "15", "10", "12.5"]
    assert rules["award"]["total_threshold"] == "60" and rules["award"]["criterion_threshold_share"] == "0.5"
    assert [p["percent"] for p in rules["payments"]["schedule"]] == ["40", "40", "20"]
    assert rules["payments"]["schedule"][1]["condition"] == {"min_previous_prefinancing_used_percent": "70"}
    assert rules["payments"]["first_prefinancing_days"] == 30
    assert rules["reports"]["progress_report_days"] == 30 and rules["reports"]["final_report_days"] == 60
    assert rules["reports"]["final_report_decision_days"] == 60
    assert rules["reports"]["reduction_bands"][1] == {"min_score": "40", "reduction_percent": "25"}
    assert rules["countries"]["TR"] == {"name": "Türkiye", "status": "associated", "region": None, "programme_country": True}
    assert rules["countries"]["BY"]["region"] == 2

    ka210 = call_rules(find_call(2026, "KA210"))
    assert ka210["organisation_limits"]["max_as_applicant_per_round"] == 1
    assert ka210["organisation_limits"]["max_involvements_per_deadline"] == 5
    assert ka210["structure"]["kind"] == "activities"
    assert [p["percent"] for p in ka210["payments"]["schedule"]] == ["80", "20"]
    assert ka210["composition"]["third_countries"]["allowed"] is False

    teach = call_rules(find_call(2022, "PEX-TEACH-ACA"))
    assert teach["funding"] == {"model": "actual-costs-maximum", "lump_sum_options": [], "grant_maximum": "1500000.00",
                                "lots": [], "total_budget": None}
    assert teach["call"]["managing_agency"] == "EACEA"
    assert teach["deadline"] == "2022-09-07T17:00:00+02:00"


@pytest.mark.django_db
@pytest.mark.parametrize("field, value, message", [
    ("payment_schedule", [{"code": "a", "percent": "80"}, {"code": "b", "percent": "30"}], "add up to 100"),
    ("award_criteria", [{"code": "a", "name_en": "A", "max_points": 50}], "add up to 100 points"),
    ("lump_sum_options", ["30000.00", "abc"], "amount in euros"),
    ("lump_sum_options", ["-5.00"], "positive amount"),
    ("duration_min_months", 30, "minimum duration"),
    ("structure", {"kind": "work-packages", "management_max_percent": "20"}, "missing"),
    ("composition", {"min_organisations": 2, "min_countries": 2, "third_countries": {"regions": [15]}}, "1 to 14"),
    ("reduction_bands", [{"min_score": "25", "reduction_percent": "50"}, {"min_score": "50", "reduction_percent": "0"}],
     "highest score down"),
])
def test_call_clean_explains_bad_rules(programme, field, value, message):
    call = find_call(2026, "KA210")
    setattr(call, field, value)
    with pytest.raises(ValidationError) as excinfo:
        call.full_clean()
    assert message in str(excinfo.value)


@pytest.mark.django_db
def test_funding_model_and_amounts_must_agree(programme):
    call = find_call(2022, "PEX-TEACH-ACA")
    call.lump_sum_options = ["1000.00"]
    with pytest.raises(ValidationError, match="Only calls funded by fixed lump sums"):
        call.full_clean()
    call = Call.objects.get(year=2022, action__code="PEX-TEACH-ACA")
    call.grant_maximum = None
    with pytest.raises(ValidationError, match="needs a maximum grant"):
        call.full_clean()


@pytest.mark.django_db
def test_eligibility_rules_feed_the_eligibility_engine(programme):
    from eplus.programme.models import Agency
    from eplus.programme.services import eligibility_rules

    flat = eligibility_rules(find_call(2026, "KA220"), "VET", Agency.objects.get(code="LV01"))
    json.dumps(flat)
    assert flat["action"] == "KA220" and flat["sector"] == "VET"
    assert (flat["agency_code"], flat["agency_country"]) == ("LV01", "LV")
    assert flat["deadline"] == "2026-03-05T12:00:00+01:00"
    assert flat["third_country_regions"] == [1, 2, 3] and flat["excluded_countries"] == ["BY"]
    assert flat["third_country_roles"] == ["partner", "associated-partner"]
    assert (flat["involvement_cap"], flat["involvement_exempt_sectors"]) == (10, ["HED"])
    assert (flat["wp_min"], flat["wp_max"], flat["wp_recommended_max"]) == (1, 10, 4)
    assert flat["coordinator_min_years"] == 2 and flat["structure"] == "work-packages"
    assert "HOR-INCLUSION" in flat["priorities"] and "VET-UKRAINE" in flat["priorities"]
    assert not any(code.startswith("HED-") for code in flat["priorities"])

    ka210 = eligibility_rules(find_call(2026, "KA210", 2), "YOU", Agency.objects.get(code="LV02"))
    assert (ka210["applicant_max_per_round"], ka210["involvement_cap"]) == (1, 5)
    assert ka210["third_country_roles"] == [] and ka210["start_from"] == "2027-01-01"

    ka240 = eligibility_rules(find_call(2026, "KA240"))
    assert ka240["sector"] == "SCH" and ka240["school_development"]["min_schools_per_authority"] == 2

    forward = eligibility_rules(find_call(2022, "PI-FORWARD"))
    assert forward["agency_code"] == "EACEA" and forward["lump_sum_max"] == "1000000.00"

    with pytest.raises(UnknownActionType):
        eligibility_rules(find_call(2026, "KA210"), "HED")

    model = pytest.importorskip("eplus.programme.rules.model")
    rules = model.CallRules.from_dict(flat)
    assert rules.action_type == "KA220-VET"
    assert rules.deadline == datetime(2026, 3, 5, 11, 0, tzinfo=timezone.utc)
    model.CallRules.from_dict(ka240)
    model.CallRules.from_dict(forward)
