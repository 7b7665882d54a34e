import pytest
from django.core import mail
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse

from eplus.organisations.models import Membership, Organisation, RegistrationDraft, Role
from eplus.organisations import registration
from tests.factories import make_officer, make_organisation, make_user

from .conftest import VALID_LV_REG, VALID_LV_VAT, mark_reauthenticated

IDENTITY = {"legal_name": "Gauja Youth Club", "business_name": "Gauja Club", "legal_form": "Association",
            "organisation_type": "youth-organisation", "public_private": "private", "non_profit": "yes",
            "date_established": "2015-09-01"}
ADDRESS = {"country": "LV", "street": "Gaujas iela 3", "postcode": "LV-2150", "city": "Sigulda", "region": "Vidzeme"}
NUMBERS = {"registration_number": VALID_LV_REG, "vat_number": VALID_LV_VAT, "website": "https://gauja.example.org"}
CONTACT = {"email": "info@gauja.example.org", "phone": "+371 20 000 000", "registrant_role": "legal-representative",
           "contact_is_me": "other", "contact_name": "Anna Example", "contact_email": "anna@example.org",
           "contact_phone": ""}


def post_step(client, url, data, action="next"):
    return client.post(url, {**data, "action": action})


def step_url(draft, step):
    return reverse("organisations:register_step", args=[draft.pk, step])


@pytest.fixture
def applicant(client, lv):
    user = make_user(first_name="Maija", last_name="Example")
    client.force_login(user)
    return user


# --- wizard ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_wizard_saves_each_step_resumes_and_issues_the_oid(client, applicant):
    response = post_step(client, reverse("organisations:register"), IDENTITY)
    draft = RegistrationDraft.objects.get(owner=applicant)
    assert response.status_code == 302 and response.url == step_url(draft, "address")
    # Fill half of the address and leave.
    response = post_step(client, step_url(draft, "address"), {**ADDRESS, "city": ""}, action="save")
    assert response.url == reverse("organisations:mine")
    page = client.get(reverse("organisations:mine")).content.decode()
    assert "Gauja Youth Club" in page and step_url(draft, "address") in page and "Resume" in page
    # Resume exactly where the user left, with what they typed.
    page = client.get(step_url(draft, "address")).content.decode()
    assert "Gaujas iela 3" in page and "LV-2150" in page
    post_step(client, step_url(draft, "address"), ADDRESS)
    # Back keeps data.
    response = post_step(client, step_url(draft, "numbers"), NUMBERS, action="back")
    assert response.url == step_url(draft, "address")
    assert VALID_LV_VAT in client.get(step_url(draft, "numbers")).content.decode()
    post_step(client, step_url(draft, "numbers"), NUMBERS)
    response = post_step(client, step_url(draft, "contact"), CONTACT)
    assert response.url == step_url(draft, "review")
    page = client.get(step_url(draft, "review")).content.decode()
    assert "Complete registration" in page and "Youth organisation" in page and "Sigulda" in page
    response = client.post(step_url(draft, "review"), {"confirm_correct": "on", "action": "complete"})
    organisation = Organisation.objects.get()
    assert response.url == reverse("organisations:registered", args=[organisation.oid])
    page = client.get(response.url).content.decode()
    assert f"Your organisation ID (OID) is {organisation.oid}" in page
    assert organisation.status == "under-validation" and organisation.contact_name == "Anna Example"
    assert organisation.is_public is False and organisation.non_profit is True
    assert Membership.objects.get(organisation=organisation).role == Role.LEGAL_REPRESENTATIVE
    assert not RegistrationDraft.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("step,data,field,message", [
    ("address", {**ADDRESS, "country": "XX"}, "country", "Choose the country from the list."),
    ("address", {**ADDRESS, "postcode": "LV-12"}, "postcode", "for example LV-1050"),
    ("numbers", {**NUMBERS, "vat_number": "LV12345678901"}, "vat_number", "VAT number is not valid"),
    ("numbers", {**NUMBERS, "website": "not a url"}, "website", "Enter a website address"),
    ("numbers", {**NUMBERS, "registration_number": "40003245753"}, "registration_number", "check digit"),
    ("identity", {**IDENTITY, "date_established": "01.09.2015x"}, "date_established", "YYYY-MM-DD"),
    ("contact", {**CONTACT, "contact_name": "", "contact_email": ""}, "contact_name", "contact person&#x27;s name"),
])
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(client, applicant, step, data, field, message):
    draft = RegistrationDraft.objects.create(owner=applicant, data={"identity": IDENTITY, "address": ADDRESS})
    response = post_step(client, step_url(draft, step), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert f'href="#id_{field}"' in page
    for value in data.values():
        if value and value not in ("private", "yes", "other", "legal-representative", "XX"):
            assert str(value).replace("'", "&#x27;") in page  # nothing typed is lost
    draft.refresh_from_db()
    assert draft.data[step] == data and draft.current_step == step


@pytest.mark.django_db
def test_duplicate_warning_links_and_confirmation(client, applicant, lv):
    existing = make_organisation(lv, legal_name="Gauja Youth Club", city="Sigulda")
    draft = RegistrationDraft.objects.create(owner=applicant, current_step="review",
                                             data={"identity": IDENTITY, "address": ADDRESS, "numbers": NUMBERS, "contact": CONTACT})
    page = client.get(step_url(draft, "review")).content.decode()
    assert "may already be registered" in page
    assert reverse("organisations:detail", args=[existing.oid]) in page
    response = client.post(step_url(draft, "review"), {"confirm_correct": "on", "action": "complete"})
    assert response.status_code == 200 and "Similar organisations are already registered" in response.content.decode()
    assert Organisation.objects.count() == 1
    response = client.post(step_url(draft, "review"), {"confirm_correct": "on", "confirm_different": "on", "action": "complete"})
    assert response.status_code == 302 and Organisation.objects.count() == 2


@pytest.mark.django_db
def test_review_with_incomplete_steps_links_to_them(client, applicant):
    draft = RegistrationDraft.objects.create(owner=applicant, data={"identity": IDENTITY})
    response = client.post(step_url(draft, "review"), {"confirm_correct": "on", "action": "complete"})
    page = response.content.decode()
    assert response.status_code == 200 and "Some steps are not complete" in page
    assert step_url(draft, "address") in page and Organisation.objects.count() == 0


@pytest.mark.django_db
def test_other_peoples_drafts_and_unknown_steps_are_404(client, applicant):
    draft = RegistrationDraft.objects.create(owner=make_user(), data={})
    assert client.get(step_url(draft, "identity")).status_code == 404
    own = RegistrationDraft.objects.create(owner=applicant, data={})
    assert client.get(reverse("organisations:register_step", args=[own.pk, "nope"])).status_code == 404


@pytest.mark.django_db
def test_wizard_needs_login(client):
    response = client.get(reverse("organisations:register"))
    assert response.status_code == 302 and "login" in response.url


# --- search ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_search_page_for_anonymous_users(client, lv):
    organisation = make_organisation(lv, legal_name="Riga Technical School")
    page = client.get(reverse("organisations:search"), {"name": "Riga Tehnical Scool"}).content.decode()
    assert "Riga Technical School" in page and organisation.oid in page and "Latvia" in page and "Riga" in page
    assert "Under validation" in page and "Register a new organisation" in page
    page = client.get(reverse("organisations:search"), {"oid": "X1"}).content.decode()
    assert "An OID is the letter E followed by 8 digits" in page
    page = client.get(reverse("organisations:search"), {"country": "ZZ"}).content.decode()
    assert "Choose the country from the list." in page


# --- detail and permissions --------------------------------------------------------------------

@pytest.mark.django_db
def test_detail_shows_private_data_only_to_members_and_country_agency(client, lv, lv01, lt01):
    member = make_user()
    organisation = make_organisation(lv, member=member, registration_number="SECRET-REG-1")
    url = reverse("organisations:detail", args=[organisation.oid])
    public = client.get(url).content.decode()
    assert organisation.legal_name in public and organisation.oid in public and "SECRET-REG-1" not in public
    client.force_login(make_user())
    assert "SECRET-REG-1" not in client.get(url).content.decode()
    client.force_login(make_officer(lt01))
    assert "SECRET-REG-1" not in client.get(url).content.decode()
    client.force_login(make_officer(lv01))
    assert "SECRET-REG-1" in client.get(url).content.decode()
    client.force_login(member)
    page = client.get(url).content.decode()
    assert "SECRET-REG-1" in page and member.email in page and "Legal representative" in page
    assert client.get("/organisations/E00000000/").status_code == 404


# --- agency validation -------------------------------------------------------------------------

@pytest.mark.django_db
def test_lt_officer_cannot_see_or_certify_lv_organisation(client, lv, lv01, lt01):
    organisation = make_organisation(lv)
    client.force_login(make_officer(lt01))
    assert organisation.legal_name not in client.get(reverse("organisations:agency_queue")).content.decode()
    review = reverse("organisations:agency_review", args=[organisation.oid])
    assert client.get(review).status_code == 404
    assert client.post(review, {"action": "certify"}).status_code == 404
    organisation.refresh_from_db()
    assert organisation.status == "under-validation"


@pytest.mark.django_db
def test_agency_officer_certifies_and_rejects_with_reason(client, lv, lv01):
    member = make_user()
    organisation = make_organisation(lv, member=member)
    other = make_organisation(lv, legal_name="Second Org", member=member)
    client.force_login(make_officer(lv01))
    queue = client.get(reverse("organisations:agency_queue")).content.decode()
    assert organisation.legal_name in queue and other.legal_name in queue
    response = client.post(reverse("organisations:agency_review", args=[organisation.oid]), {"action": "certify"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == "certified" and mail.outbox[-1].to == [member.email]
    review = reverse("organisations:agency_review", args=[other.oid])
    response = client.post(review, {"action": "reject", "reason": ""})
    assert response.status_code == 200 and "Give the reason for the rejection" in response.content.decode()
    client.post(review, {"action": "reject", "reason": "Not a legal entity."})
    other.refresh_from_db()
    assert other.status == "rejected" and other.status_reason == "Not a legal entity."


@pytest.mark.django_db
def test_agency_queue_is_404_for_non_staff(client, lv):
    client.force_login(make_user())
    assert client.get(reverse("organisations:agency_queue")).status_code == 404


# --- members -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_invite_accept_and_invalid_links(client, lv):
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    client.force_login(rep)
    response = client.post(reverse("organisations:invite", args=[organisation.oid]),
                           {"email": "new.person@example.org", "role": "contact-person"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invitations/" in line)
    path = link[link.index("/organisations/"):]
    newcomer = make_user("new.person@example.org")
    client.force_login(newcomer)
    assert "Accept invitation" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    assert Membership.objects.get(user=newcomer).role == Role.CONTACT_PERSON
    response = client.get(path)
    assert response.status_code == 410 and "already been used" in response.content.decode()
    response = client.get(reverse("organisations:accept_invitation", args=["made-up-token"]))
    assert response.status_code == 410 and "not valid" in response.content.decode()


@pytest.mark.django_db
def test_invite_form_errors_and_permission(client, lv):
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    url = reverse("organisations:invite", args=[organisation.oid])
    plain = make_user()
    Membership.objects.create(organisation=organisation, user=plain, role=Role.MEMBER)
    client.force_login(plain)
    assert client.post(url, {"email": "a@example.org", "role": "member"}).status_code == 404
    client.force_login(rep)
    response = client.post(url, {"email": "not-an-email", "role": "member"})
    assert response.status_code == 200 and "Enter an e-mail address" in response.content.decode()
    response = client.post(url, {"email": rep.email, "role": "member"})
    assert "already acts for the organisation" in response.content.decode()


@pytest.mark.django_db
def test_roles_change_needs_reauthentication_and_keeps_a_legal_representative(client, lv):
    rep = make_user()
    organisation = make_organisation(lv, member=rep)
    membership = Membership.objects.get(user=rep)
    url = reverse("organisations:member_edit", args=[organisation.oid, membership.pk])
    client.force_login(rep)
    response = client.post(url, {"action": "remove"})
    assert response.status_code == 302 and "reauthenticate" in response.url
    mark_reauthenticated(client, rep)
    response = client.post(url, {"action": "remove"})
    assert response.status_code == 200 and "last legal representative cannot be removed" in response.content.decode()
    response = client.post(url, {"action": "role", "role": "member"})
    assert "at least one legal representative" in response.content.decode()
    other = make_user()
    other_membership = Membership.objects.create(organisation=organisation, user=other, role=Role.MEMBER)
    other_url = reverse("organisations:member_edit", args=[organisation.oid, other_membership.pk])
    assert client.post(other_url, {"action": "role", "role": "legal-representative"}).status_code == 302
    assert Membership.objects.get(pk=other_membership.pk).role == Role.LEGAL_REPRESENTATIVE
    assert client.post(url, {"action": "remove"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.django_db
def test_member_edit_is_404_for_non_legal_representatives(client, lv):
    organisation = make_organisation(lv, member=make_user())
    contact = make_user()
    membership = Membership.objects.create(organisation=organisation, user=contact, role=Role.CONTACT_PERSON)
    client.force_login(contact)
    mark_reauthenticated(client, contact)
    url = reverse("organisations:member_edit", args=[organisation.oid, membership.pk])
    assert client.get(url).status_code == 404


# --- N+1 guards --------------------------------------------------------------------------------

def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_search_results_constant_queries(client, lv, django_assert_num_queries):
    make_organisation(lv, legal_name="Riga School One")
    url, params = reverse("organisations:search"), {"name": "Riga School", "country": "LV"}
    one = _count(client, url, params)
    make_organisation(lv, legal_name="Riga School Two")
    make_organisation(lv, legal_name="Riga School Three")
    with django_assert_num_queries(one):
        page = client.get(url, params).content.decode()
    assert "Riga School Three" in page and "Riga School One" in page


@pytest.mark.django_db
def test_my_organisations_constant_queries(client, lv, django_assert_num_queries):
    user = make_user()
    client.force_login(user)
    make_organisation(lv, legal_name="Org A", member=user)
    registration.save_draft_step(None, user, "identity", {"legal_name": "Draft A"})
    one = _count(client, reverse("organisations:mine"))
    for name in ("Org B", "Org C"):
        make_organisation(lv, legal_name=name, member=user)
        registration.save_draft_step(None, user, "identity", {"legal_name": f"Draft {name}"})
    with django_assert_num_queries(one):
        page = client.get(reverse("organisations:mine")).content.decode()
    assert "Org C" in page and "Draft Org C" in page


@pytest.mark.django_db
def test_agency_queue_constant_queries(client, lv, lv01, django_assert_num_queries):
    client.force_login(make_officer(lv01))
    make_organisation(lv, legal_name="Queue A")
    one = _count(client, reverse("organisations:agency_queue"))
    make_organisation(lv, legal_name="Queue B")
    make_organisation(lv, legal_name="Queue C")
    with django_assert_num_queries(one):
        page = client.get(reverse("organisations:agency_queue")).content.decode()
    assert "Queue C" in page


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
def test_a_control_character_in_a_registration_step_is_refused_clearly_and_nothing_is_stored(client, applicant,
                                                                                           character):
    response = post_step(client, reverse("organisations:register"), {**IDENTITY, "legal_name": f"Gauja{character}"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "legal_name" in page and f"U+{ord(character):04X}" in page and "Back button" in page
    assert not RegistrationDraft.objects.exists()
