import pytest


@pytest.mark.django_db
def test_countries_list_with_exact_names(client, programme):
    response = client.get("/api/v1/programme/countries")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows["TR"] == {"code": "TR", "name": "Türkiye", "status": "associated", "region": None,
                          "programme_country": True}
    assert rows["BY"]["status"] == "non-associated" and rows["BY"]["region"] == 2
    assert rows["LV"]["status"] == "eu-member"


@pytest.mark.django_db
def test_countries_filter_by_status(client, programme):
    rows = client.get("/api/v1/programme/countries", {"status": "associated"}).json()
    assert sorted(r["code"] for r in rows) == ["IS", "LI", "MK", "NO", "RS", "TR"]
    response = client.get("/api/v1/programme/countries", {"status": "candidate"})
    assert response.status_code == 422
    assert "eu-member" in response.content.decode()


@pytest.mark.django_db
def test_actions(client, programme):
    rows = {row["code"]: row for row in client.get("/api/v1/programme/actions").json()}
    assert rows["KA220"]["sectors"] == ["SCH", "VET", "HED", "ADU", "YOU"]
    assert rows["KA220"]["key_action"] == "KA2" and rows["KA220"]["managing_agency_kind"] == "national"
    assert rows["KA210"]["funding_model"] == "lump-sum-options"
    assert rows["PEX-TEACH-ACA"]["funding_model"] == "actual-costs-maximum"
    assert rows["EUR-UNIV"]["managing_agency_kind"] == "executive" and rows["EUR-UNIV"]["managing_agency"] == "EACEA"


@pytest.mark.django_db
def test_calls_with_filters_and_brussels_deadlines(client, programme):
    rows = client.get("/api/v1/programme/calls", {"year": 2026, "action": "ka210"}).json()
    assert [(r["action"], r["round"]) for r in rows] == [("KA210", 1), ("KA210", 2)]
    first, second = rows
    assert first["deadline"] == "2026-03-05T12:00:00+01:00"
    assert second["deadline"] == "2026-10-01T12:00:00+02:00"
    assert (first["start_earliest"], first["start_latest"]) == ("2026-09-01", "2026-12-31")
    assert first["lump_sum_options"] == ["30000.00", "60000.00"]
    assert (first["duration_min_months"], first["duration_max_months"]) == (6, 24)

    all_2026 = client.get("/api/v1/programme/calls", {"year": 2026}).json()
    assert len(all_2026) == 4
    alliances = client.get("/api/v1/programme/calls", {"action": "PI-ALL-INNO"}).json()[0]
    assert alliances["funding_model"] == "lump-sum-maximum"
    assert alliances["lots"][2]["grant_maximum"] == "4000000.00"


@pytest.mark.django_db
def test_calls_unknown_action_is_a_clear_400(client, programme):
    response = client.get("/api/v1/programme/calls", {"action": "KA999"})
    assert response.status_code == 400
    assert "Unknown action KA999" in response.json()["detail"]


@pytest.mark.django_db
def test_openapi_documents_the_programme_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/programme/countries", "/api/v1/programme/actions", "/api/v1/programme/calls"):
        assert "get" in schema["paths"][path]
    assert {"CountryOut", "ActionOut", "CallOut"} <= set(schema["components"]["schemas"])
    assert client.get("/api/v1/docs").status_code == 200
