import pytest

from eplus.accounts.models import User
from eplus.core.audit import MASK, acting_as, diff, history
from eplus.core.models import AuditEvent
from eplus.programme.models import Agency, Country


@pytest.mark.django_db
def test_create_update_and_delete_are_audited_with_field_diffs():
    officer = User.objects.create_user("officer@example.org", first_name="Olga", last_name="Ozola")
    with acting_as(officer):
        lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
        agency = Agency.objects.create(code="LV01", name="Agency", country=lv, fields=["VET"])
        agency = Agency.objects.get(pk=agency.pk)
        agency.name = "Renamed agency"
        agency.save()
    events = list(history(agency).order_by("id"))
    assert [e.action for e in events] == ["create", "update"]
    assert events[0].changes["code"] == [None, "LV01"]
    assert events[1].changes == {"name": ["Agency", "Renamed agency"]}
    assert events[1].actor == officer and events[1].actor_label == "officer@example.org"
    assert events[1].agency_code == "LV01"

    pk = agency.pk
    agency.delete()
    assert AuditEvent.objects.filter(object_type="programme.agency", object_id=str(pk), action="delete").exists()


@pytest.mark.django_db
def test_unchanged_save_writes_nothing_and_status_changes_are_marked():
    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    before = AuditEvent.objects.count()
    lv = Country.objects.get(pk="LV")
    lv.save()
    assert AuditEvent.objects.count() == before
    lv.status = "associated"
    lv.save(audit_reason="test")
    event = history(lv).first()
    assert event.action == "status" and event.reason == "test"
    assert event.changes == {"status": ["eu-member", "associated"]}


@pytest.mark.django_db
def test_secrets_are_masked_in_the_trail():
    user = User.objects.create_user("a@example.org", password="Secret-Passw0rd", first_name="A", last_name="B")
    created = history(user).get(action="create")
    assert created.changes["password"] == [None, MASK]
    assert "Secret" not in str(created.changes)
    assert diff({"api_token": "abc"}, {"api_token": "def"}) == {"api_token": [MASK, MASK]}


@pytest.mark.django_db
def test_audit_events_are_append_only():
    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    event = history(lv).first()
    event.reason = "tampered"
    with pytest.raises(ValueError):
        event.save()


@pytest.mark.django_db
def test_request_user_is_the_actor(client):
    from eplus.programme.models import AgencyMembership

    user = User.objects.create_user("x@example.org", first_name="X", last_name="Y")
    client.force_login(user)
    # Any audited change made while serving the request is attributed to the request's user.
    response = client.get("/")
    assert response.status_code in (200, 302)
    with acting_as(user):
        lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
        agency = Agency.objects.create(code="LV01", name="Agency", country=lv)
        AgencyMembership.objects.create(user=user, agency=agency, role="officer")
    assert AuditEvent.objects.filter(actor=user, object_type="programme.agencymembership").exists()


@pytest.mark.django_db
def test_deferred_loads_and_bulk_deletes_do_not_recurse():
    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    Agency.objects.create(code="LV01", name="Agency", country=lv)
    agency = Agency.objects.only("code").get(code="LV01")
    assert agency.name == "Agency"  # loading the deferred field works
    agency = Agency.objects.only("code", "name").get(code="LV01")
    agency.name = "Renamed"
    agency.save()
    assert history(agency).first().changes == {"name": ["Agency", "Renamed"]}
    Agency.objects.filter(code="LV01").delete()
    assert not Agency.objects.exists()
