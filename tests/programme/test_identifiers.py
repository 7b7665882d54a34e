"""One OID rule everywhere (issue 13, item 10): the eligibility API's parser accepts ``e10234567`` as
``E10234567`` like the forms do, and refuses what is not an OID."""

from eplus.programme.rules import parse_request


def _request(oid):
    return {"action": "KA210-VET", "organisations": [{"ref": "A", "country": "LV", "role": "applicant", "oid": oid}]}


def test_api_parser_normalises_the_oid():
    app, errors = parse_request(_request("e10234567"))
    assert errors == {} and app.organisations[0].oid == "E10234567"


def test_api_parser_refuses_a_bad_oid():
    for bad in ("E1234567", "10234567", 10234567):
        app, errors = parse_request(_request(bad))
        assert app is None and "organisations[0].oid" in errors


def test_the_eligibility_api_accepts_a_lower_case_oid(client, programme):
    import json

    payload = {"action": "KA210-VET", "call_year": 2026, "round": 1,
               "organisations": [{"ref": "A", "country": "LV", "role": "applicant", "oid": "e10234567"}]}
    response = client.post("/api/v1/eligibility/check", json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    bad = dict(payload, organisations=[dict(payload["organisations"][0], oid="e1023")])
    response = client.post("/api/v1/eligibility/check", json.dumps(bad), content_type="application/json")
    assert response.status_code == 422 and "oid" in response.content.decode()
