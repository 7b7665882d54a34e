import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from eplus.programme.models import Agency, AgencyMembership

from .conftest import STRONG_PASSWORD, make_user

pytestmark = pytest.mark.django_db

OFFICER_EMAIL = "officer@agency.example"


def totp_code(secret, at=None):
    counter = int(at if at is not None else time.time()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def login(client, email, password=STRONG_PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.fixture
def officer(db):
    user = make_user(email=OFFICER_EMAIL, first_name="Olga", last_name="Ozola")
    agency = Agency.objects.create(code="XX01", name="Test National Agency")
    AgencyMembership.objects.create(user=user, agency=agency, role=AgencyMembership.Role.OFFICER)
    return user


def test_must_use_mfa_roles(officer, user):
    assert officer.must_use_mfa is True
    assert user.must_use_mfa is False


def test_applicant_is_not_forced_to_use_mfa(client, user):
    login(client, user.email)
    response = client.get(reverse("accounts:account_data"))
    assert response.status_code == 200


def test_officer_redirected_until_totp_activated_then_login_asks_for_code(client, officer):
    assert login(client, OFFICER_EMAIL).status_code == 302
    activate = reverse("mfa_activate_totp")

    # Every ordinary page sends the officer to the TOTP activation page.
    for url in [reverse("accounts:account_data"), reverse("account_change_password"), "/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == activate, url
    # ...but log-out, the language switch and the MFA pages stay reachable.
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200

    # Activation asks for the password again first (allauth reauthentication).
    response = client.get(activate)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(response["Location"], {"password": STRONG_PASSWORD})
    assert response.status_code == 302
    page = client.get(activate)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="card"' in html and "<label" in html
    secret = page.context["form"].secret

    # A wrong code: an error summary, no authenticator.
    bad = client.post(activate, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert bad.status_code == 200
    assert 'class="error-summary"' in bad.content.decode()
    assert not Authenticator.objects.filter(user=officer).exists()

    response = client.post(activate, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=officer, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=officer, type=Authenticator.Type.RECOVERY_CODES).exists()

    # Now the officer may use the site.
    assert client.get(reverse("accounts:account_data")).status_code == 200

    # The next log-in asks for the code.
    client.post(reverse("account_logout"))
    later = timezone.now() + timedelta(seconds=90)
    with freeze_time(later):
        response = login(client, OFFICER_EMAIL)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session
        page = client.get(reverse("mfa_authenticate"))
        assert "<label" in page.content.decode()
        wrong = client.post(reverse("mfa_authenticate"), {"code": "12345"})
        assert 'class="error-summary"' in wrong.content.decode()
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, later.timestamp())})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(officer.pk)
        assert client.get(reverse("accounts:account_data")).status_code == 200


def test_staff_flag_alone_enforces_mfa(client, db):
    make_user(email="admin@eplus.example", is_staff=True)
    login(client, "admin@eplus.example")
    response = client.get(reverse("accounts:account_data"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_htmx_request_gets_hx_redirect(client, officer):
    login(client, OFFICER_EMAIL)
    response = client.get(reverse("accounts:account_data"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


def test_sensitive_action_requires_reauthentication_and_replays_the_post(client, user):
    login(client, user.email)
    url = reverse("accounts:account_data")
    page = client.get(url)
    assert page.status_code == 200
    assert ">First name" in page.content.decode()
    # Logged in moments ago, but a change still needs the password again.
    response = client.post(url, {"first_name": "Annija", "last_name": "Bērziņa", "email_language": "lv"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    user.refresh_from_db()
    assert user.first_name == "Anna"
    # A wrong password is refused.
    wrong = client.post(response["Location"], {"password": "Not-the-password-1"})
    assert wrong.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Anna"
    # The right password replays the suspended change.
    done = client.post(response["Location"], {"password": STRONG_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.email_language) == ("Annija", "lv")
    # Within the re-authentication timeout, no second prompt.
    again = client.post(url, {"first_name": "Anna", "last_name": "Bērziņa", "email_language": "en"})
    assert again.status_code == 302 and again["Location"] == url
    # After the timeout, the prompt comes back.
    with freeze_time(timezone.now() + timedelta(seconds=301)):
        late = client.post(url, {"first_name": "X", "last_name": "Y", "email_language": "en"})
        assert late["Location"].startswith(reverse("account_reauthenticate"))


def test_sensitive_action_decorator_on_a_plain_view(rf, user):
    from allauth.core.exceptions import ReauthenticationRequired
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    from eplus.accounts.decorators import sensitive_action

    @sensitive_action
    def withdraw(request):
        return HttpResponse("done")

    request = rf.post("/withdraw/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    with pytest.raises(ReauthenticationRequired):
        withdraw(request)
    request.user = user
    with pytest.raises(ReauthenticationRequired):
        withdraw(request)


def test_expert_must_use_mfa(client, db):
    expert = make_user(email="expert@experts.example")
    agency = Agency.objects.create(code="XX02", name="Another Agency")
    AgencyMembership.objects.create(user=expert, agency=agency, role=AgencyMembership.Role.EXPERT)
    assert expert.must_use_mfa is True
    login(client, expert.email)
    assert client.get(reverse("accounts:account_data"))["Location"] == reverse("mfa_activate_totp")


def test_the_commission_must_set_up_a_second_factor_like_agency_staff(client, db):
    commission = make_user(email="analyst@commission.example", is_commission=True)
    assert commission.must_use_mfa is True
    login(client, commission.email)
    response = client.get(reverse("accounts:account_data"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def _idle(client, seconds, signed_in_ago=0):
    from eplus.accounts.middleware import SessionTimeoutMiddleware as Timeout

    session = client.session
    session[Timeout.ACTIVITY_KEY] = int(time.time()) - seconds
    session[Timeout.LOGIN_KEY] = int(time.time()) - signed_in_ago
    session.save()


def test_idle_sessions_expire_sooner_for_staff_and_every_session_after_its_lifetime(client, officer, user, settings):
    page = reverse("accounts:account_data")
    login(client, user.email)
    _idle(client, settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get(page).status_code == 200  # active within the limit: still signed in, and the clock restarts
    _idle(client, settings.SESSION_IDLE_TIMEOUT + 1)
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert "session expired" in client.get(response["Location"]).content.decode()
    # Agency staff: 30 minutes without a request is enough (the gate checks before the MFA set-up page).
    client.force_login(officer)
    _idle(client, settings.SESSION_IDLE_TIMEOUT_STAFF + 1)
    assert client.get(page)["Location"].startswith(reverse("account_login"))
    # However active, a session ends SESSION_ABSOLUTE_LIFETIME after the log-in.
    login(client, user.email)
    _idle(client, 0, signed_in_ago=settings.SESSION_ABSOLUTE_LIFETIME - 120)
    assert client.get(page).status_code == 200
    _idle(client, 0, signed_in_ago=settings.SESSION_ABSOLUTE_LIFETIME + 1)
    assert client.get(page)["Location"].startswith(reverse("account_login"))
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_ABSOLUTE_LIFETIME
