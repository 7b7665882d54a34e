"""Agency administrators edit reference data in the admin; every edit is audited with diff and actor."""

import json

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from eplus.accounts.models import User
from eplus.core.audit import history
from eplus.programme.loader import DATA_DIR
from eplus.programme.models import (
    Action, Agency, AgencyMembership, BudgetEnvelope, Call, Country, Priority, ReferenceDataRelease, Topic,
)


@pytest.fixture
def admin_user(db):
    user = User.objects.create_superuser("admin@agency.example", password="Adm1n-Passw0rd!", first_name="Ada",
                                         last_name="Admin")
    # Staff must use two-factor authentication (accounts middleware): give the admin an authenticator.
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    return user


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_country_edit_in_the_admin_is_audited_with_diff_and_actor(admin_client, admin_user, programme):
    url = reverse("admin:programme_country_change", args=["RS"])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"name": "Republic of Serbia", "name_lv": "Serbija", "status": "associated",
                                       "region": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Country.objects.get(code="RS").name == "Republic of Serbia"
    event = history(Country.objects.get(code="RS")).first()
    assert event.action == "update"
    assert event.changes == {"name": ["Serbia", "Republic of Serbia"]}
    assert event.actor == admin_user and event.actor_label == "admin@agency.example"


@pytest.mark.django_db
def test_envelope_edit_in_the_admin_is_audited(admin_client, admin_user, programme):
    envelope = BudgetEnvelope.objects.get(agency__code="LV01", call__year=2026, call__action__code="KA220", sector="VET")
    url = reverse("admin:programme_budgetenvelope_change", args=[envelope.pk])
    response = admin_client.post(url, {"agency": envelope.agency_id, "call": envelope.call_id, "sector": "VET",
                                       "amount": "840000.00", "source": envelope.source})
    assert response.status_code == 302
    event = history(envelope).first()
    assert event.changes == {"amount": ["839394.00", "840000.00"]}
    assert event.actor == admin_user and event.agency_code == "LV01"


@pytest.mark.django_db
def test_invalid_edit_is_explained_and_not_saved(admin_client, programme):
    envelope = BudgetEnvelope.objects.get(agency__code="LV01", call__year=2026, call__action__code="KA210", sector="VET")
    before = history(envelope).count()
    url = reverse("admin:programme_budgetenvelope_change", args=[envelope.pk])
    response = admin_client.post(url, {"agency": envelope.agency_id, "call": envelope.call_id, "sector": "HED",
                                       "amount": "-1", "source": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This call&#x27;s action has no such sector." in page
    assert "The amount must not be negative." in page
    envelope.refresh_from_db()
    assert envelope.sector == "VET" and history(envelope).count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Country, Agency, AgencyMembership, Action, Call, BudgetEnvelope, Priority, Topic,
                                   ReferenceDataRelease])
def test_every_model_has_a_working_admin_list(admin_client, programme, model):
    meta = model._meta
    response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert response.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        response = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


@pytest.mark.django_db
def test_releases_are_read_only_in_the_admin(admin_client, programme):
    release = ReferenceDataRelease.objects.get(name="countries")
    url = reverse("admin:programme_referencedatarelease_change", args=[release.pk])
    admin_client.post(url, {"version": "9999.1"})
    release.refresh_from_db()
    assert release.version == json.loads((DATA_DIR / "countries.json").read_text())["version"]


@pytest.fixture
def agency_admin(db, programme):
    user = User.objects.create_user("na-admin@agency.example", password="Adm1n-Passw0rd!", first_name="Nora",
                                    last_name="Admin")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    AgencyMembership.objects.create(user=user, agency=Agency.objects.get(code="LV01"), role="admin")
    user.refresh_from_db()
    return user


@pytest.mark.django_db
def test_an_agency_administrator_gets_the_admin_screens_and_edits_calls(client, agency_admin):
    from eplus.programme.access import GROUP_NAME

    assert agency_admin.is_staff and not agency_admin.is_superuser
    assert agency_admin.groups.filter(name=GROUP_NAME).exists()
    client.force_login(agency_admin)
    call = Call.objects.get(year=2027, action__code="KA220", round=1)
    url = reverse("admin:programme_call_change", args=[call.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:programme_call_delete", args=[call.pk])).status_code == 403
    # Envelopes: only the administrator's own agency.
    lt = BudgetEnvelope.objects.create(agency=Agency.objects.get(code="LT01"), call=call, sector="VET", amount="1000")
    listed = client.get(reverse("admin:programme_budgetenvelope_changelist")).context["cl"].queryset
    assert {e.agency.code for e in listed} == {"LV01"} and lt not in listed
    assert client.get(reverse("admin:programme_budgetenvelope_change", args=[lt.pk])).status_code in (302, 404)


@pytest.mark.django_db
def test_ending_the_membership_takes_the_admin_access_away(agency_admin):
    AgencyMembership.objects.filter(user=agency_admin).get().delete()
    agency_admin.refresh_from_db()
    assert not agency_admin.is_staff and not agency_admin.groups.exists()
    officer = AgencyMembership.objects.create(user=agency_admin, agency=Agency.objects.get(code="LV01"), role="officer")
    agency_admin.refresh_from_db()
    assert not agency_admin.is_staff  # officers work in eplus's own screens, not the admin
    officer.role = "admin"
    officer.save()
    agency_admin.refresh_from_db()
    assert agency_admin.is_staff
