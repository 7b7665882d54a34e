"""Organisation permissions through rules.py's loaders (a foreign object is a 404) and member changes
that a second identical request leaves as they are (issue 10)."""

import pytest
from django.urls import reverse

from eplus.core.audit import history
from eplus.organisations import members, rules
from eplus.organisations.models import Membership, RegistrationDraft, Role

from tests.factories import make_officer, make_organisation, make_user


@pytest.mark.django_db
def test_changing_a_role_to_the_same_one_or_removing_twice_changes_nothing(lv):
    rep, colleague = make_user(), make_user()
    organisation = make_organisation(lv, member=rep)
    membership = Membership.objects.create(organisation=organisation, user=colleague, role=Role.MEMBER)
    before = history(membership).count()
    members.change_role(membership, Role.MEMBER, rep)
    assert history(membership).count() == before
    members.remove_member(membership, rep)
    members.remove_member(membership, rep)  # the second click: nothing left to remove, no error
    assert not Membership.objects.filter(user=colleague).exists()


@pytest.mark.django_db
def test_drafts_and_registered_pages_of_others_are_404(client, lv):
    owner, stranger = make_user(), make_user()
    draft = RegistrationDraft.objects.create(owner=owner, data={})
    organisation = make_organisation(lv, member=owner)
    assert list(rules.own_drafts(owner)) == [draft] and not rules.own_drafts(stranger).exists()
    client.force_login(stranger)
    assert client.post(reverse("organisations:draft_delete", args=[draft.pk])).status_code == 404
    assert client.get(reverse("organisations:register_step", args=[draft.pk, "address"])).status_code == 404
    assert client.get(reverse("organisations:registered", args=[organisation.oid])).status_code == 404
    client.force_login(owner)
    assert client.get(reverse("organisations:registered", args=[organisation.oid])).status_code == 200
    assert client.post(reverse("organisations:draft_delete", args=[draft.pk])).status_code == 302
    assert not RegistrationDraft.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_validation_pages_only_for_the_countrys_agency(client, lv, lv01, lt01):
    organisation = make_organisation(lv, member=make_user())
    client.force_login(make_user())
    assert client.get(reverse("organisations:agency_queue")).status_code == 404
    client.force_login(make_officer(lt01))
    assert client.get(reverse("organisations:agency_queue")).status_code == 200
    assert client.get(reverse("organisations:agency_review", args=[organisation.oid])).status_code == 404
    client.force_login(make_officer(lv01))
    assert client.get(reverse("organisations:agency_review", args=[organisation.oid])).status_code == 200
    client.logout()
    response = client.get(reverse("organisations:agency_queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_review_step_goes_back_or_saves_without_registering(client, lv):
    owner = make_user()
    draft = RegistrationDraft.objects.create(owner=owner, data={}, current_step="review")
    client.force_login(owner)
    url = reverse("organisations:register_step", args=[draft.pk, "review"])
    back = client.post(url, {"action": "back"})
    assert back["Location"] == reverse("organisations:register_step", args=[draft.pk, "contact"])
    draft.refresh_from_db()
    assert draft.current_step == "contact"
    assert client.post(url, {"action": "save"})["Location"] == reverse("organisations:mine")
    draft.refresh_from_db()
    assert draft.current_step == "review" and not Membership.objects.filter(user=owner).exists()


@pytest.mark.django_db
def test_private_data_is_listed_for_members_and_the_countrys_agency_only(lv, lv01, lt01):
    from eplus.organisations.models import Organisation

    member = make_user()
    organisation = make_organisation(lv, member=member)
    everything = Organisation.objects.all()
    assert list(rules.private_visible(everything, member)) == [organisation]
    assert list(rules.private_visible(everything, make_officer(lv01))) == [organisation]
    assert not rules.private_visible(everything, make_officer(lt01)).exists()
    assert not rules.private_visible(everything, make_user()).exists()
