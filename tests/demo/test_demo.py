import pytest
from django.core.management import call_command

from eplus.accounts.models import User
from eplus.demo.loader import DEMO_PASSWORD, DEMO_TOTP_SECRET, PEOPLE, current_code, load_demo
from eplus.organisations.models import Organisation


@pytest.fixture
def programme(db):
    call_command("load_programme", verbosity=0)


@pytest.mark.django_db
def test_demo_has_every_role_and_is_idempotent(programme):
    load_demo()
    counts = (User.objects.count(), Organisation.objects.count())
    people = load_demo()
    assert (User.objects.count(), Organisation.objects.count()) == counts
    assert {spec.key for spec, _ in people} == {"applicant", "partner", "officer", "expert", "admin"}

    officer = User.objects.get(email=PEOPLE[2].email)
    assert officer.must_use_mfa and officer.check_password(DEMO_PASSWORD)
    assert User.objects.get(email=PEOPLE[4].email).is_superuser
    applicant = User.objects.get(email=PEOPLE[0].email)
    assert not applicant.must_use_mfa
    statuses = dict(Organisation.objects.values_list("legal_name", "status"))
    assert statuses["Daugavmala Vocational School"] == "certified"
    assert statuses["Vidzeme Youth Crafts Club"] == "under-validation"
    assert all(oid.startswith("E") and len(oid) == 9 for oid in Organisation.objects.values_list("oid", flat=True))


@pytest.mark.django_db
def test_demo_people_can_log_in(client, programme):
    load_demo()
    response = client.post("/accounts/login/", {"login": PEOPLE[0].email, "password": DEMO_PASSWORD}, follow=True)
    assert response.wsgi_request.user.email == PEOPLE[0].email
    assert b"Daugavmala Vocational School" in client.get("/dashboard/").content


def test_demo_code_is_the_totp_of_the_published_secret():
    from allauth.mfa.totp.internal.auth import validate_totp_code

    assert validate_totp_code(DEMO_TOTP_SECRET, current_code())
    assert not validate_totp_code(DEMO_TOTP_SECRET, "000000") or current_code() == "000000"


@pytest.mark.django_db
def test_load_demo_command_prints_the_log_ins(programme, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    for spec in PEOPLE:
        assert spec.email in out
    assert DEMO_PASSWORD in out


@pytest.mark.django_db
def test_load_demo_refuses_in_production(programme, settings):
    from django.core.management.base import CommandError

    from eplus.accounts.models import User

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="demo only"):
        call_command("load_demo")
    assert not User.objects.filter(email__endswith="@demo.eplus.example").exists()


@pytest.mark.django_db
def test_demo_has_a_draft_application_and_a_public_project_with_a_hidden_result(programme, client):
    from eplus.applications.models import Application
    from eplus.demo.loader import DEMO_APPLICATION_TITLE, DEMO_PROJECT

    load_demo()
    load_demo()
    application = Application.objects.get(title=DEMO_APPLICATION_TITLE)
    assert application.status == "draft" and application.participations.count() == 3
    page = client.get(f"/results/p/{DEMO_PROJECT['identifier']}/").content.decode()
    assert DEMO_PROJECT["title"] in page
    assert "Open course: digital tools for apprentices" in page
    assert "Internal evaluation notes" not in page
