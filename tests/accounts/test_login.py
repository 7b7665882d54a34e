from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from .conftest import STRONG_PASSWORD, make_user

pytestmark = pytest.mark.django_db

EMAIL = "anna.berzina@school.example"


def login(client, password, email=EMAIL):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def is_logged_in(client):
    return "_auth_user_id" in client.session


def test_login_page_labels(client):
    html = client.get(reverse("account_login")).content.decode()
    assert ">E-mail address" in html and ">Password" in html
    assert 'name="password"' in html  # allauth would drop it for password-less sign-up; we keep it


def test_login_and_logout(client, user):
    response = login(client, STRONG_PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)
    # Log-out is a POST; a GET only shows the confirmation page.
    client.get(reverse("account_logout"))
    assert is_logged_in(client)
    client.post(reverse("account_logout"))
    assert not is_logged_in(client)


def test_wrong_password_clear_message_and_email_kept(client, user):
    response = login(client, "Wrong-password-1")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert "not correct" in html
    assert f'value="{EMAIL}"' in html
    assert not is_logged_in(client)


def test_unverified_address_cannot_log_in(client, db):
    make_user(verified=False)
    response = login(client, STRONG_PASSWORD)
    assert not is_logged_in(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_lockout_after_five_wrong_passwords_lifted_after_15_minutes(client, user):
    start = timezone.now().replace(microsecond=0)
    with freeze_time(start) as frozen:
        for attempt in range(5):
            response = login(client, f"Wrong-password-{attempt}")
            assert "not correct" in response.content.decode()
            frozen.tick(timedelta(seconds=20))
        # Locked: even the right password is refused, with a clear message.
        response = login(client, STRONG_PASSWORD)
        html = response.content.decode()
        assert "Too many wrong passwords" in html and "15 minutes" in html
        assert not is_logged_in(client)
        # Still locked just before 15 minutes after the first failure.
        frozen.move_to(start + timedelta(minutes=14, seconds=50))
        assert "Too many wrong passwords" in login(client, STRONG_PASSWORD).content.decode()
        assert not is_logged_in(client)
        # 15 minutes after the last failure the lock is lifted.
        frozen.move_to(start + timedelta(seconds=80) + timedelta(minutes=15, seconds=1))
        response = login(client, STRONG_PASSWORD)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert is_logged_in(client)


def test_lockout_is_per_account(client, user):
    other = make_user(email="info@other-school.example")
    for attempt in range(5):
        login(client, f"Wrong-password-{attempt}")
    assert "Too many wrong passwords" in login(client, STRONG_PASSWORD).content.decode()
    login(client, STRONG_PASSWORD, email=other.email)
    assert client.session["_auth_user_id"] == str(other.pk)


def test_password_reset_sends_mail_in_users_language(client, outbox):
    make_user(email_language="lv")
    page = client.get(reverse("account_reset_password"))
    assert ">E-mail address" in page.content.decode() or ">Email" in page.content.decode()
    response = client.post(reverse("account_reset_password"), {"email": EMAIL})
    assert response.status_code == 302
    assert len(outbox) == 1 and outbox[0].to == [EMAIL]


def test_password_reset_bad_input_shows_error_summary(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "not-an-address"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert 'value="not-an-address"' in html


def _visible_answer(response):
    """The answer a visitor reads: the page with its form token taken out."""
    import re

    return response.status_code, re.sub(r'value="[^"]{40,}"', "", response.content.decode()).replace(
        "nobody@unknown.example", EMAIL)


def test_wrong_passwords_and_the_lockout_read_the_same_for_an_unknown_address(client, user):
    from django.test import Client

    unknown = Client()
    for attempt in range(6):
        known_answer = login(client, f"Wrong-password-{attempt}")
        unknown_answer = login(unknown, f"Wrong-password-{attempt}", email="nobody@unknown.example")
        assert _visible_answer(known_answer) == _visible_answer(unknown_answer), attempt
    assert "Too many wrong passwords" in unknown_answer.content.decode()
