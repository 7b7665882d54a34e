import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from eplus.accounts.models import User

from .conftest import STRONG_PASSWORD, link_from, make_user, path_of

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "Līga",
    "last_name": "Kalniņa",
    "email": "projects@school-one.example",
    "email_language": "lv",
    "privacy_accepted": "on",
}


def test_signup_page_has_labels_and_advice(client):
    response = client.get("/accounts/signup/")
    html = response.content.decode()
    assert response.status_code == 200
    for label in ["First name", "Last name", "E-mail address", "E-mail language",
                  "I have read and accept the privacy notice"]:
        assert f">{label}" in html, label
    assert 'href="/privacy/"' in html
    assert "shared organisational mailbox" in html
    assert 'name="password1"' not in html


def test_signup_without_privacy_acceptance_is_refused_and_keeps_data(client, outbox):
    data = {**SIGNUP}
    del data["privacy_accepted"]
    response = client.post("/accounts/signup/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "You must accept the privacy notice to create an account." in html
    assert 'class="error-summary"' in html
    assert 'href="#id_privacy_accepted"' in html
    assert 'value="Līga"' in html and 'value="projects@school-one.example"' in html
    assert 'value="lv" selected' in html
    assert not User.objects.filter(email=SIGNUP["email"]).exists()
    assert outbox == []


def test_signup_missing_fields_each_get_a_message(client):
    response = client.post("/accounts/signup/", {"email": "not-an-address"})
    errors = response.context["form"].errors
    assert set(errors) >= {"first_name", "last_name", "email", "privacy_accepted"}


def test_signup_creates_user_and_sends_verification_in_chosen_language(client, outbox):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email=SIGNUP["email"])
    assert (user.first_name, user.last_name, user.email_language) == ("Līga", "Kalniņa", "lv")
    assert user.privacy_accepted_at is not None
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(outbox) == 1
    assert outbox[0].to == [SIGNUP["email"]]
    assert "/accounts/confirm-email/" in outbox[0].body
    page = client.get(response["Location"])
    assert "Check your e-mail" in page.content.decode()


def test_email_language_is_used_for_the_mail(client, outbox):
    """The verification e-mail is rendered in the recipient's language (recorded on its outbox row)."""
    from eplus.core.models import OutgoingMail

    client.post("/accounts/signup/", SIGNUP)
    client.post("/accounts/signup/", {**SIGNUP, "email": "info@school-two.example", "email_language": "en"})
    assert list(OutgoingMail.objects.order_by("pk").values_list("language", flat=True)) == ["lv", "en"]
    assert len(outbox) == 2


def test_link_sets_password_confirms_and_logs_in(client, outbox):
    client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert ">Password" in html and ">Password (again)" in html
    response = client.post(link, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email=SIGNUP["email"])
    assert user.check_password(STRONG_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified is True
    assert client.session["_auth_user_id"] == str(user.pk)
    # The link is now used: a clear message, no 500, no second password change.
    again = client.get(link)
    assert again.status_code == 200
    assert "already been used" in again.content.decode()


@pytest.mark.parametrize("password,expected", [
    ("Ab1!", "at least 10 characters"),
    ("abcdefghijkl", "at least 3 of these"),
    ("Projects-2026-x", "must not contain the name part of your e-mail address"),
])
def test_each_unmet_rule_gives_its_own_message(client, outbox, password, expected):
    client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    response = client.post(link, {"password1": password, "password2": password})
    assert response.status_code == 200
    html = response.content.decode()
    assert expected in html
    assert 'class="error-summary"' in html
    assert not User.objects.get(email=SIGNUP["email"]).has_usable_password()


def test_all_unmet_rules_are_listed_separately(client, outbox):
    client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    response = client.post(link, {"password1": "projects", "password2": "projects"})
    errors = response.context["form"].errors["password1"]
    assert any("at least 10 characters" in e for e in errors)
    assert any("at least 3 of these" in e for e in errors)
    assert any("name part of your e-mail address" in e for e in errors)


def test_mismatched_passwords(client, outbox):
    client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    response = client.post(link, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD + "x"})
    assert "not the same" in str(response.context["form"].errors["password2"])


def test_expired_link_gives_message_and_new_link(client, outbox, settings):
    from freezegun import freeze_time

    with freeze_time("2026-11-01 10:00:00"):
        client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    with freeze_time("2026-11-01 10:00:00") as frozen:
        frozen.move_to("2026-11-05 10:00:01")  # more than ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS (3)
        response = client.get(link)
        assert response.status_code == 200
        html = response.content.decode()
        assert "has expired" in html
        assert reverse("accounts:resend_verification") in html
        resend = client.post(reverse("accounts:resend_verification"), {"email": SIGNUP["email"]})
        assert resend.status_code == 302
        assert len(outbox) == 2
        new_link = path_of(link_from(outbox[1]))
        assert client.get(new_link).status_code == 200
        done = client.post(new_link, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
        assert done.status_code == 302
    assert User.objects.get(email=SIGNUP["email"]).check_password(STRONG_PASSWORD)


def test_broken_link_is_not_a_500(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code == 200
    assert "not valid" in response.content.decode()


def test_resend_does_not_reveal_accounts(client, outbox):
    response = client.post(reverse("accounts:resend_verification"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert outbox == []


def test_signup_with_existing_address_does_not_create_a_second_account(client, outbox):
    make_user(email=SIGNUP["email"])
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert User.objects.filter(email=SIGNUP["email"]).count() == 1


def test_after_setting_password_the_user_can_log_out_and_in(client, outbox):
    client.post("/accounts/signup/", SIGNUP)
    link = path_of(link_from(outbox[0]))
    client.post(link, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_no_login_before_password_is_set(client, outbox):
    client.post("/accounts/signup/", SIGNUP)
    response = client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": "Anything-2026"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_up_and_password_reset_answer_the_same_for_known_and_unknown_addresses(client, outbox):
    """No account enumeration: the visitor sees the same redirect and page; only the mail differs (to the
    address's owner, who may know)."""
    from django.test import Client

    make_user(email=SIGNUP["email"])
    known, unknown = Client(), Client()
    answers = []
    for browser, email in ((known, SIGNUP["email"]), (unknown, "brand.new@school.example")):
        response = browser.post("/accounts/signup/", {**SIGNUP, "email": email}, follow=True)
        reset = browser.post(reverse("account_reset_password"), {"email": email}, follow=True)
        answers.append([(r.redirect_chain, r.status_code) for r in (response, reset)])
    assert answers[0] == answers[1]
    assert sorted(m.to[0] for m in outbox) == sorted([SIGNUP["email"], SIGNUP["email"], "brand.new@school.example",
                                                     "brand.new@school.example"])
