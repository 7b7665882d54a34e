import re
import threading
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from eplus.core.audit import history
from eplus.organisations import members, queries, registration, workflow
from eplus.organisations.models import IssuedOID, Membership, Organisation, RegistrationDraft, Role
from eplus.organisations.sweep import sweep
from tests.factories import make_officer, make_organisation, make_user

from .conftest import VALID_LV_REG, VALID_LV_VAT

OID = re.compile(r"^E\d{8}$")


def registration_fields(country="LV", **extra):
    fields = dict(
        legal_name="Daugava Adult Learning Centre", business_name="", legal_form="Foundation",
        organisation_type="adult-education", is_public=False, non_profit=True, date_established=date(2012, 5, 1),
        country=country, street="Daugavas iela 5", postcode="1050", city="Riga", region="",
        registration_number=VALID_LV_REG, vat_number=VALID_LV_VAT, website="www.example.org",
        email="info@example.org", phone="+371 67 123 456", contact_name="Ilze Tester", contact_email="c@example.org",
    )
    fields.update(extra)
    return fields


# --- OID ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_issued_oids_have_the_format_and_are_recorded():
    oid = registration.issue_oid()
    assert OID.match(oid)
    assert IssuedOID.objects.filter(oid=oid).exists()


@pytest.mark.django_db
def test_oid_collision_draws_again():
    IssuedOID.objects.create(oid="E11111111")
    draws = iter(["E11111111", "E11111111", "E22222222"])
    assert registration.issue_oid(candidate=lambda: next(draws)) == "E22222222"


@pytest.mark.django_db
def test_oid_is_never_reused_after_the_organisation_is_deleted(lv):
    organisation = make_organisation(lv)
    oid = organisation.oid
    organisation.delete()
    draws = iter([oid, "E33333333"])
    assert registration.issue_oid(candidate=lambda: next(draws)) == "E33333333"


@pytest.mark.django_db
def test_oid_issuance_gives_up_when_every_draw_collides():
    IssuedOID.objects.create(oid="E44444444")
    with pytest.raises(RuntimeError):
        registration.issue_oid(candidate=lambda: "E44444444", attempts=3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pool", [None, 30], ids=["random", "forced-collisions"])
def test_twenty_parallel_registrations_get_twenty_distinct_oids(lv, pool, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    if pool:  # draw from only 30 OIDs so that concurrent registrations really collide and retry
        import random

        monkeypatch.setattr(registration, "new_oid_candidate", lambda: f"E{random.randint(10_000_000, 10_000_000 + pool - 1)}")
    users = [make_user() for _ in range(20)]
    barrier = threading.Barrier(20)
    oids, errors = [], []
    lock = threading.Lock()

    def register(index):
        from django.db import connections

        try:
            barrier.wait()
            organisation = registration.complete_registration(
                users[index], registration_fields(legal_name=f"Parallel School Number {index:02d} Alpha{'x' * index}",
                                                  registration_number=f"LT-CODE-{index}", country="LT",
                                                  vat_number="", postcode="LT-01100"),
                confirm_different=True,
            )
            with lock:
                oids.append(organisation.oid)
        except Exception as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    from tests.factories import make_country

    make_country("LT", "Lithuania")
    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(oids) == 20 and len(set(oids)) == 20
    assert all(OID.match(oid) for oid in oids)
    assert Organisation.objects.count() == 20
    assert set(IssuedOID.objects.values_list("oid", flat=True)) >= set(oids)


# --- registration ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_complete_registration_creates_organisation_member_and_audit(lv):
    user = make_user()
    draft = RegistrationDraft.objects.create(owner=user, data={"identity": {"legal_name": "x"}})
    organisation = registration.complete_registration(
        user, registration_fields(), registrant_role=Role.CONTACT_PERSON, draft=draft
    )
    assert OID.match(organisation.oid)
    assert organisation.status == Organisation.Status.UNDER_VALIDATION
    assert organisation.postcode == "LV-1050" and organisation.website == "https://www.example.org"
    assert organisation.vat_number == VALID_LV_VAT
    assert Membership.objects.get(organisation=organisation).role == Role.CONTACT_PERSON
    assert not RegistrationDraft.objects.filter(pk=draft.pk).exists()
    events = list(history(organisation))
    assert events[0].verb == "register" and events[0].actor == user


@pytest.mark.django_db
@pytest.mark.parametrize("field,value", [
    ("country", "XX"), ("vat_number", "LV12345678901"), ("website", "not a url"), ("postcode", "LV-12"),
    ("registration_number", "40003245753"),
])
def test_complete_registration_refuses_invalid_data(lv, field, value):
    with pytest.raises(ValidationError) as exc:
        registration.complete_registration(make_user(), registration_fields(**{field: value}))
    assert field in exc.value.message_dict
    assert Organisation.objects.count() == 0


@pytest.mark.django_db
def test_duplicates_need_confirmation(lv):
    existing = make_organisation(lv, legal_name="Daugava Adult Learning Centre")
    with pytest.raises(registration.DuplicateOrganisation) as exc:
        registration.complete_registration(make_user(), registration_fields())
    assert [d.organisation for d in exc.value.duplicates] == [existing]
    organisation = registration.complete_registration(make_user(), registration_fields(), confirm_different=True)
    assert organisation.oid != existing.oid


@pytest.mark.django_db
def test_find_duplicates_by_number_and_by_similar_name(lv, lt):
    same_number = make_organisation(lv, legal_name="Totally Different Name", registration_number=VALID_LV_REG)
    similar = make_organisation(lv, legal_name="Riga Technical School")
    make_organisation(lt, legal_name="Riga Technical School")  # other country: not a duplicate
    make_organisation(lv, legal_name="Liepaja Music Academy")
    found = queries.find_duplicates("LV", "4000 3245 752", "Riga Technical Schol")
    assert {d.organisation for d in found} == {same_number, similar}
    assert queries.find_duplicates("LV", "", "Valmiera Sports Club") == []


# --- search ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_search_is_fuzzy_and_filters(lv, lt):
    riga = make_organisation(lv, legal_name="Riga Technical School", vat_number=VALID_LV_VAT,
                             registration_number=VALID_LV_REG)
    vilnius = make_organisation(lt, legal_name="Vilnius Art Academy")
    assert queries.search_organisations(name="Riga Tehnical Scool") == [riga]
    assert queries.search_organisations(name="Riga Tehnical Scool", country="LT") == []
    assert queries.search_organisations(country="LT") == [vilnius]
    assert queries.search_organisations(oid=riga.oid.lower()) == [riga]
    assert queries.search_organisations(registration_number="4000-3245-752") == [riga]
    assert queries.search_organisations(vat_number="lv 40003245752") == [riga]
    assert queries.search_organisations(vat_number="40003245752") == [riga]
    assert queries.search_organisations() == []
    assert queries.search_organisations(name="Completely unrelated words") == []


# --- drafts and sweep --------------------------------------------------------------------------

@pytest.mark.django_db
def test_sweep_purges_drafts_a_year_after_their_last_edit_and_is_idempotent(settings):
    settings.ORGANISATION_DRAFT_RETENTION_DAYS = 365
    user = make_user()
    with freeze_time("2026-01-01 10:00:00"):
        old = registration.save_draft_step(None, user, "identity", {"legal_name": "Old"})
    with freeze_time("2026-06-01 10:00:00"):
        recent = registration.save_draft_step(None, user, "identity", {"legal_name": "Recent"})
    with freeze_time("2026-12-31 10:00:00"):
        assert sweep(timezone.now()) == {"drafts_purged": 0}  # 364 days: kept
    with freeze_time("2027-01-02 10:00:00"):
        assert list(registration.drafts_for(user)) == [recent]
        assert sweep(timezone.now()) == {"drafts_purged": 1}
        assert sweep(timezone.now()) == {"drafts_purged": 0}
    assert not RegistrationDraft.objects.filter(pk=old.pk).exists()
    assert RegistrationDraft.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db
def test_editing_a_draft_extends_its_life():
    user = make_user()
    with freeze_time("2026-01-01"):
        draft = registration.save_draft_step(None, user, "identity", {"legal_name": "A"})
    with freeze_time("2026-12-01"):
        registration.save_draft_step(draft, user, "address", {"city": "Riga"})
    with freeze_time("2027-06-01"):
        assert sweep(timezone.now()) == {"drafts_purged": 0}
    draft.refresh_from_db()
    assert draft.data == {"identity": {"legal_name": "A"}, "address": {"city": "Riga"}}


# --- members and invitations -------------------------------------------------------------------

@pytest.mark.django_db
def test_invitation_is_sent_accepted_once_and_logged_when_email_differs(lv):
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    invitee = make_user("someone.else@example.org", email_language="lv")
    invitation, raw = members.invite_member(organisation, "invited@example.org", Role.MEMBER, rep)
    assert len(mail.outbox) == 1 and raw in mail.outbox[0].body
    assert invitation.token_hash != raw  # only a hash is stored
    membership = members.accept_invitation(raw, invitee)
    assert membership.role == Role.MEMBER
    assert "accepted by account someone.else@example.org" in history(invitation).get(verb="accept").reason
    with pytest.raises(members.InvitationError, match="already been used"):
        members.accept_invitation(raw, make_user())


@pytest.mark.django_db
def test_invitation_expires(lv, settings):
    settings.ORGANISATION_INVITATION_DAYS = 14
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    with freeze_time("2026-03-01"):
        _invitation, raw = members.invite_member(organisation, "x@example.org", Role.MEMBER, rep)
    with freeze_time("2026-03-14 23:00"):
        members.get_invitation(raw)
    with freeze_time("2026-03-15 00:00:01"):
        with pytest.raises(members.InvitationError, match="expired"):
            members.accept_invitation(raw, make_user())
    with pytest.raises(members.InvitationError, match="not valid"):
        members.get_invitation("nonsense")


@pytest.mark.django_db
def test_one_person_acts_for_several_organisations(lv):
    person = make_user()
    first = make_organisation(lv, legal_name="First School", member=person)
    second = make_organisation(lv, legal_name="Second School", member=person, role=Role.MEMBER)
    assert [m.organisation for m in queries.memberships_for(person)] == [first, second]


@pytest.mark.django_db
def test_last_legal_representative_cannot_be_removed_or_demoted(lv):
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    membership = Membership.objects.get(user=rep)
    with pytest.raises(members.MembershipError):
        members.remove_member(membership, rep)
    with pytest.raises(members.MembershipError):
        members.change_role(membership, Role.MEMBER, rep)
    other = make_user()
    Membership.objects.create(organisation=organisation, user=other, role=Role.LEGAL_REPRESENTATIVE)
    members.change_role(membership, Role.MEMBER, rep)
    assert Membership.objects.get(user=rep).role == Role.MEMBER
    members.remove_member(Membership.objects.get(user=rep), other)
    assert not Membership.objects.filter(user=rep).exists()


# --- agency workflow ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_certify_and_reject_are_audited_and_notify_members(lv, lv01):
    officer = make_officer(lv01)
    member = make_user(email_language="lv")
    organisation = make_organisation(lv, member=member)
    workflow.certify(organisation, officer)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.CERTIFIED and organisation.validated_by == officer
    assert history(organisation).filter(verb="certify", action="status").exists()
    assert mail.outbox[-1].to == [member.email]
    with pytest.raises(workflow.TransitionError):
        workflow.reject(organisation, officer, "too late")

    other = make_organisation(lv, legal_name="Another One", member=member)
    with pytest.raises(ValidationError):
        workflow.reject(other, officer, "   ")
    workflow.reject(other, officer, "The registration document does not match.")
    other.refresh_from_db()
    assert other.status == Organisation.Status.REJECTED
    assert history(other).get(verb="reject").reason == "The registration document does not match."
    assert "does not match" in mail.outbox[-1].body


@pytest.mark.django_db
def test_officer_of_another_country_cannot_certify(lv, lt01):
    officer = make_officer(lt01)
    organisation = make_organisation(lv)
    with pytest.raises(PermissionDenied):
        workflow.certify(organisation, officer)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.UNDER_VALIDATION


@pytest.mark.django_db
def test_core_sweep_runs_the_organisations_sweeper():
    from eplus.core.sweep import run_sweep

    user = make_user()
    with freeze_time("2020-01-01"):
        registration.save_draft_step(None, user, "identity", {"legal_name": "Old"})
    assert run_sweep(timezone.now())["organisations"] == {"drafts_purged": 1}
    assert run_sweep(timezone.now())["organisations"] == {"drafts_purged": 0}
