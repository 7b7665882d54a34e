import pytest


@pytest.mark.django_db
def test_home_and_health(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"eplus" in response.content
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_security_headers_present(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
