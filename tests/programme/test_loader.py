import json
import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command

from eplus.core.audit import history
from eplus.core.models import AuditEvent
from eplus.programme.loader import DATA_DIR, ReferenceDataError, load_programme, version_key
from eplus.programme.models import (
    Action, Agency, BudgetEnvelope, Call, Country, Priority, ReferenceDataRelease, Topic,
)

MODELS = (Country, Agency, Action, Call, BudgetEnvelope, Priority, Topic, ReferenceDataRelease)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def rewrite(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1))


def calls_2026_version():
    return json.loads((DATA_DIR / "calls-2026.json").read_text())["version"]


@pytest.mark.django_db
def test_first_load_applies_every_data_set_and_audits_each_row():
    results = load_programme()
    assert {r.name for r in results} >= {"countries", "agencies", "actions", "priorities", "topics", "calls-2026", "calls-2022"}
    assert all(r.outcome == "applied" and r.created > 0 for r in results if r.name != "calls-2027")
    tr = Country.objects.get(code="TR")
    event = history(tr).get()
    countries_version = json.loads((DATA_DIR / "countries.json").read_text())["version"]
    assert event.action == "create" and event.verb == "reference-data-load"
    assert event.reason == f"countries {countries_version}"
    assert event.changes["name"] == [None, "Türkiye"]
    assert ReferenceDataRelease.objects.get(name="calls-2026").version == calls_2026_version()


@pytest.mark.django_db
def test_running_twice_changes_nothing_and_writes_no_audit_events(programme):
    before_counts, before_events = counts(), AuditEvent.objects.count()
    before_releases = list(ReferenceDataRelease.objects.values_list("name", "version", "sha256", "loaded_at"))

    results = load_programme(provisional=True)  # as the fixture loaded it

    assert [r.outcome for r in results] == ["unchanged"] * len(results)
    assert counts() == before_counts
    assert AuditEvent.objects.count() == before_events
    assert list(ReferenceDataRelease.objects.values_list("name", "version", "sha256", "loaded_at")) == before_releases


@pytest.mark.django_db
def test_force_with_nothing_new_writes_no_audit_events(programme):
    before = AuditEvent.objects.count()
    results = load_programme(force=True, provisional=True)
    assert all(r.updated == 0 and r.created == 0 for r in results)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_command_prints_one_line_per_data_set(capsys):
    call_command("load_programme")
    call_command("load_programme")
    out = capsys.readouterr().out
    assert f"calls-2026 {calls_2026_version()}: applied" in out
    assert f"calls-2026 {calls_2026_version()}: unchanged" in out


@pytest.mark.django_db
def test_admin_edits_survive_reloads_until_a_newer_version(programme, data_copy):
    envelope = BudgetEnvelope.objects.get(agency__code="LV01", call__action__code="KA210", call__year=2026, sector="VET")
    envelope.amount = Decimal("250000.00")
    envelope.save()

    load_programme(data_copy)  # same version: the admin's edit stays
    envelope.refresh_from_db()
    assert envelope.amount == Decimal("250000.00")

    # The file changes without a new version: refused with a clear message, nothing applied.
    rewrite(data_copy / "calls-2026.json", lambda d: d["envelopes"][0].update(amount="252000.00"))
    (result,) = [r for r in load_programme(data_copy) if r.name == "calls-2026"]
    assert result.outcome == "needs-new-version" and "raise the version" in str(result)
    envelope.refresh_from_db()
    assert envelope.amount == Decimal("250000.00")

    # A newer version is applied, and the change is audited with the release as the reason.
    rewrite(data_copy / "calls-2026.json", lambda d: d.update(version="2026.99"))
    (result,) = [r for r in load_programme(data_copy) if r.name == "calls-2026"]
    assert result.outcome == "applied" and result.updated == 1
    envelope.refresh_from_db()
    assert envelope.amount == Decimal("252000.00")
    event = history(envelope).first()
    assert event.changes == {"amount": ["250000.00", "252000.00"]}
    assert event.reason == "calls-2026 2026.99" and event.agency_code == "LV01"
    assert ReferenceDataRelease.objects.get(name="calls-2026").version == "2026.99"


@pytest.mark.django_db
def test_an_older_version_is_not_applied(programme, data_copy):
    rewrite(data_copy / "countries.json",
            lambda d: d.update(version="2025.9", items=[{"code": "TR", "name": "Turkey", "status": "associated"}]))
    (result,) = [r for r in load_programme(data_copy) if r.name == "countries"]
    assert result.outcome == "older"
    assert Country.objects.get(code="TR").name == "Türkiye"


@pytest.mark.django_db
def test_invalid_data_is_refused_with_file_item_and_reason(data_copy):
    def break_duration(doc):
        doc["items"][0]["duration_min_months"] = 30
    rewrite(data_copy / "calls-2026.json", break_duration)
    with pytest.raises(ReferenceDataError) as excinfo:
        load_programme(data_copy)
    message = str(excinfo.value)
    assert "calls-2026.json" in message and "2026 KA210 1" in message and "minimum duration" in message
    assert Call.objects.count() == 0  # one transaction: nothing half-loaded
    assert Country.objects.count() == 0


def test_versions_compare_as_numbers():
    assert version_key("2026.10") > version_key("2026.9")
    assert version_key("2026.1") == version_key("2026.1")
    assert version_key("2027.1") > version_key("2026.12")


# -- the figures the issue names ---------------------------------------------------------------
@pytest.mark.django_db
def test_budget_envelopes_of_latvia_vet_2026(programme):
    ka210 = BudgetEnvelope.objects.get(agency__code="LV01", call__year=2026, call__action__code="KA210",
                                       call__round=1, sector="VET")
    ka220 = BudgetEnvelope.objects.get(agency__code="LV01", call__year=2026, call__action__code="KA220", sector="VET")
    assert ka210.amount == Decimal("252475.00") and str(ka210.amount) == "252475.00"
    assert ka220.amount == Decimal("839394.00")
    assert ka210.amount + ka220.amount == Decimal("1091869.00")  # the total VET envelope in seed 002


@pytest.mark.django_db
def test_2026_deadlines_are_brussels_noon(programme):
    from datetime import timezone

    deadlines = {(c.action.code, c.round): c.deadline.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
                 for c in Call.objects.filter(year=2026).select_related("action")}
    assert deadlines == {
        ("KA210", 1): "2026-03-05T11:00Z",
        ("KA220", 1): "2026-03-05T11:00Z",
        ("KA240", 1): "2026-04-09T10:00Z",
        ("KA210", 2): "2026-10-01T10:00Z",
    }


@pytest.mark.django_db
def test_countries_and_agencies(programme):
    assert Country.objects.get(code="TR").name == "Türkiye"
    programme_countries = [c for c in Country.objects.all() if c.is_programme_country]
    assert len(programme_countries) == 33
    assert Country.objects.filter(status="associated").count() == 6
    assert set(Country.objects.filter(region__in=[1, 2, 3, 4]).values_list("code", flat=True)) >= {
        "AL", "BA", "XK", "ME", "AM", "AZ", "BY", "GE", "MD", "UA", "DZ", "EG", "IL", "JO", "LB", "LY", "MA",
        "PS", "SY", "TN", "RU"}
    assert Country.objects.get(code="BY").region == 2
    for code in ("CH", "GB"):
        country = Country.objects.get(code=code)
        assert country.status == "non-associated" and country.region == 14
    assert Agency.objects.get(code="LV01").fields == ["SCH", "VET", "HED", "ADU"]
    assert Agency.objects.get(code="LV02").fields == ["YOU"]
    assert Agency.objects.get(code="EACEA").kind == "executive"
    for country in programme_countries:
        assert Agency.objects.filter(country=country, kind="national").count() >= 1


@pytest.mark.django_db
def test_actions_priorities_topics(programme):
    assert Action.objects.get(code="KA210").sectors == ["SCH", "VET", "ADU", "YOU"]
    assert "HED" in Action.objects.get(code="KA220").sectors
    assert Action.objects.get(code="KA240").sectors == ["SCH"]
    centralised = Action.objects.filter(managing_agency_kind="executive")
    assert set(centralised.values_list("code", flat=True)) == {"EUR-UNIV", "PEX-TEACH-ACA", "PI-ALL-INNO", "PI-FORWARD"}
    assert all(a.managing_agency.code == "EACEA" for a in centralised)
    assert Action.objects.get(code="PEX-TEACH-ACA").funding_model == "actual-costs-maximum"
    teach = Call.objects.get(year=2022, action__code="PEX-TEACH-ACA")
    assert teach.grant_maximum == Decimal("1500000.00")
    alliances = Call.objects.get(year=2022, action__code="PI-ALL-INNO")
    assert [lot["grant_maximum"] for lot in alliances.lots] == ["1000000.00", "1500000.00", "4000000.00"]
    assert Priority.objects.filter(sector="").count() == 4
    assert Priority.objects.filter(sector="VET").count() == 5
    assert Priority.objects.get(code="HOR-INCLUSION").name_lv == "Iekļaušana un daudzveidība"
    assert Topic.objects.count() >= 20


@pytest.mark.django_db
def test_every_loaded_call_is_valid(programme):
    for call in Call.objects.all():
        call.full_clean()


@pytest.mark.django_db
def test_provisional_calls_are_loaded_only_when_asked_and_marked_provisional():
    results = {r.name: r for r in load_programme()}
    assert results["calls-2027"].outcome == "provisional-skipped" and "provisional" in str(results["calls-2027"])
    assert not Call.objects.filter(year=2027).exists()
    assert not Call.objects.filter(provisional=True).exists()
    results = {r.name: r for r in load_programme(provisional=True)}  # what the demo does
    assert results["calls-2027"].outcome == "applied"
    assert set(Call.objects.filter(year=2027).values_list("provisional", flat=True)) == {True}
    assert set(Call.objects.filter(year=2026).values_list("provisional", flat=True)) == {False}


@pytest.mark.django_db
def test_every_iso_country_is_listed_with_an_eligibility(programme):
    """So that no organisation is unable to register: every ISO 3166-1 code, regions where the programme
    defines them, the rest not eligible."""
    codes = set(Country.objects.values_list("code", flat=True))
    assert len(codes) >= 249 and {"AW", "GL", "RE", "AQ", "TW", "SV", "BS", "XK"} <= codes
    assert Country.objects.get(code="RE").status == "not-eligible" and Country.objects.get(code="RE").region is None
    assert (Country.objects.get(code="SV").status, Country.objects.get(code="SV").region) == ("non-associated", 10)
    assert Country.objects.filter(status="non-associated", region__isnull=True).count() == 0
    assert Country.objects.exclude(name_lv="").count() == len(codes)
    assert Country.objects.get(code="LV").name_lv == "Latvija"


@pytest.mark.django_db
def test_reference_data_corrections(programme):
    """Issue 13, item 10: the priority's English name, the 2022 KA220 third countries."""
    from eplus.programme.models import Priority

    assert "preparedness" in Priority.objects.get(code="HOR-PARTICIPATION").name_en
    ka220_2022 = Call.objects.get(year=2022, action__code="KA220")
    third = ka220_2022.composition["third_countries"]
    assert third["allowed"] and third["regions"] == [1, 2, 3] and third["excluded_countries"] == ["BY"]
    assert third["roles"] == ["partner", "associated-partner"] and third["counted"] is False
