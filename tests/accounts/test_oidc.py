import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from eplus.accounts.models import User
from eplus.accounts.oidc import OIDCConfigurationError, apps_from_json

from .conftest import make_user
from .fake_oidc import FakeOIDCProvider

pytestmark = pytest.mark.django_db

CLIENT_ID, SECRET = "eplus-test-client", "s3cret-value"
CLAIMS = {
    "sub": "agency-user-42",
    "email": "Marta.Liepa@agency.example",
    "email_verified": True,
    "given_name": "Marta",
    "family_name": "Liepa",
    "locale": "lv-LV",
}


@pytest.fixture
def provider(settings):
    with FakeOIDCProvider(CLIENT_ID, SECRET, dict(CLAIMS)) as fake:
        env_value = json.dumps([{"provider_id": "agency-idp", "name": "Agency login", "client_id": CLIENT_ID,
                                 "secret": SECRET, "server_url": fake.base_url}])
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps_from_json(env_value)},
        }
        yield fake


def run_flow(client, fake):
    login_url = reverse("openid_connect_login", kwargs={"provider_id": "agency-idp"})
    # GET shows a confirmation page (no log-in on GET); the POST sends us to the provider.
    page = client.get(login_url)
    assert page.status_code == 200
    response = client.post(login_url)
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{fake.base_url}/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert "openid" in query["scope"][0]
    # The "browser" visits the provider, which redirects back with a code.
    answer = requests.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == reverse("openid_connect_callback", kwargs={"provider_id": "agency-idp"})
    return client.get(callback.path + "?" + callback.query)


def test_login_with_fake_provider_creates_user_and_logs_in(client, provider):
    response = run_flow(client, provider)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="marta.liepa@agency.example")
    assert (user.first_name, user.last_name, user.email_language) == ("Marta", "Liepa", "lv")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified is True
    assert SocialAccount.objects.get(user=user).uid == "agency-user-42"
    assert ("POST", "/token") in provider.requests and ("GET", "/userinfo") in provider.requests


def test_verified_email_connects_to_existing_account(client, provider):
    existing = make_user(email="marta.liepa@agency.example", first_name="Marta", last_name="Liepa")
    response = run_flow(client, provider)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(existing.pk)
    assert User.objects.filter(email="marta.liepa@agency.example").count() == 1
    assert SocialAccount.objects.get(uid="agency-user-42").user == existing


def test_wrong_client_secret_fails_cleanly(client, provider, settings):
    apps = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    apps[0]["secret"] = "wrong"
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": apps}}
    response = run_flow(client, provider)
    assert response.status_code == 401
    assert "did not confirm who you are" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="marta.liepa@agency.example").exists()


def test_login_page_lists_the_provider(client, provider):
    html = client.get(reverse("account_login")).content.decode()
    assert "Agency login" in html
    assert reverse("openid_connect_login", kwargs={"provider_id": "agency-idp"}) in html


def test_env_parsing_reports_mistakes():
    assert apps_from_json("") == []
    apps = apps_from_json('[{"provider_id": "eulogin", "name": "EU Login", "client_id": "c", "secret": "s",'
                          ' "server_url": "https://idp.example", "token_auth_method": "client_secret_basic"}]')
    assert apps[0]["settings"] == {"server_url": "https://idp.example", "token_auth_method": "client_secret_basic"}
    for bad in ['{"provider_id": "x"}', "[1]", '[{"provider_id": "x", "client_id": "c"}]', "not json",
                '[{"provider_id": "x", "client_id": "c", "server_url": "u"},'
                ' {"provider_id": "x", "client_id": "c", "server_url": "u"}]']:
        with pytest.raises(OIDCConfigurationError):
            apps_from_json(bad)


def test_a_new_provider_user_accepts_the_privacy_notice_before_anything_else(client, provider):
    run_flow(client, provider)
    user = User.objects.get(email="marta.liepa@agency.example")
    assert user.privacy_accepted_at is None
    response = client.get("/organisations/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:accept_privacy"))
    # Refusing keeps the person on the page with the reason; accepting goes on to where they were heading.
    page = client.post(reverse("accounts:accept_privacy"), {"next": "/organisations/"})
    assert page.status_code == 200 and "You must accept the privacy notice" in page.content.decode()
    done = client.post(reverse("accounts:accept_privacy"), {"next": "/organisations/", "accept_privacy": "on"})
    assert done.headers["Location"] == "/organisations/"
    user.refresh_from_db()
    assert user.privacy_accepted_at is not None
    assert client.get("/organisations/").status_code == 200
    # An outside address is never followed.
    user.privacy_accepted_at = None
    user.save()
    away = client.post(reverse("accounts:accept_privacy"), {"next": "https://evil.example/", "accept_privacy": "on"})
    assert away.headers["Location"] == reverse("dashboard")
