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


@pytest.mark.django_db
def test_navigation_follows_the_role(client):
    from allauth.mfa.models import Authenticator

    from eplus.accounts.models import User
    from eplus.programme.models import Agency, AgencyMembership, Country

    agency = Agency.objects.create(code="LV01", name="Agency",
                                   country=Country.objects.create(code="LV", name="Latvia", status="eu-member"))
    people = {}
    for role in ("applicant", "officer", "expert"):
        user = User.objects.create_user(f"{role}@example.org", first_name=role, last_name="X")
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
        if role != "applicant":
            AgencyMembership.objects.create(user=user, agency=agency, role=role)
        people[role] = user

    def page(role):
        client.force_login(people[role])
        return client.get("/dashboard/").content.decode()

    applicant, officer, expert = page("applicant"), page("officer"), page("expert")
    validate, review = 'href="/organisations/agency/"', 'href="/results/agency/"'
    assert "My applications" in applicant and validate not in applicant
    assert "My assessments" not in applicant
    assert validate in officer and review in officer and "My applications" not in officer
    assert "My assessments" in expert and validate not in expert and "My applications" not in expert
    client.logout()
    anonymous = client.get("/").content.decode()
    assert "Project results" in anonymous and "My applications" not in anonymous
