import re

import pytest
from django.urls import reverse

from .conftest import STRONG_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_password_reset_full_flow_with_rule_messages(client, outbox):
    from eplus.core.models import OutgoingMail

    user = make_user(email_language="lv")
    page = client.get(reverse("account_reset_password"))
    assert ">E-mail address" in page.content.decode()
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(outbox) == 1
    queued = OutgoingMail.objects.get()  # through the outbox, in the recipient's language, sent once
    assert queued.language == "lv" and queued.recipients == [user.email] and queued.state == OutgoingMail.State.SENT
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", outbox[0].body).group(1)
    response = client.get(link)
    if response.status_code == 302:  # allauth moves the key into the session
        link = response["Location"]
        response = client.get(link)
    html = response.content.decode()
    assert ">New password" in html
    weak = client.post(link, {"password1": "anna", "password2": "anna"})
    html = weak.content.decode()
    assert 'class="error-summary"' in html
    for text in ["at least 10 characters", "at least 3 of these", "name part of your e-mail address"]:
        assert text in html, text
    done = client.post(link, {"password1": STRONG_PASSWORD + "!", "password2": STRONG_PASSWORD + "!"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD + "!")


def test_account_mail_links_are_on_the_sites_public_address(client, outbox, settings):
    """Whatever host the request came in on, the links in allauth's mails are on SITE_URL."""
    settings.SITE_URL = "https://eplus.example.eu"
    settings.ALLOWED_HOSTS = ["internal-app-3.local", "testserver"]
    user = make_user()
    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_HOST="internal-app-3.local")
    assert re.search(r"https://eplus\.example\.eu/accounts/password/reset/key/\S+/", outbox[-1].body)
    assert "internal-app-3" not in outbox[-1].body
    client.post(reverse("account_signup"), {
        "email": "new.person@school.example", "first_name": "Maija", "last_name": "Example",
        "privacy_accepted": "on", "email_language": "en"}, HTTP_HOST="internal-app-3.local")
    assert re.search(r"https://eplus\.example\.eu/accounts/confirm-email/\S+/", outbox[-1].body), outbox[-1].body


def test_allauth_pages_render_in_our_layout(client, user):
    client.post(reverse("account_login"), {"login": user.email, "password": STRONG_PASSWORD})
    for name in ["account_email", "account_change_password", "mfa_index", "account_reauthenticate",
                 "account_logout", "accounts:account_data"]:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert 'class="site-header"' in html, name  # our base.html
        assert "Menu:" not in html, name  # not allauth's bare layout


def test_change_password_bad_input_keeps_one_message_per_rule(client, user):
    client.post(reverse("account_login"), {"login": user.email, "password": STRONG_PASSWORD})
    response = client.post(reverse("account_change_password"),
                           {"oldpassword": STRONG_PASSWORD, "password1": "short", "password2": "short"})
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "at least 10 characters" in html and "at least 3 of these" in html
    assert '<label for="id_password1"' in html
