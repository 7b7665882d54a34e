"""Gates every page for signed-in users: sessions that expire, MFA for staff and experts, and the accepted
privacy notice.

MFA is enforced for agency staff, experts, the Commission and administrators (``user.must_use_mfa``).

Such a user without an activated authenticator is redirected to the TOTP activation page for every
page except the MFA set-up pages, re-authentication, e-mail confirmation, log-out, static files and
the language switch.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from urllib.parse import urlencode

ALLOWED_VIEW_NAMES = {
    "account_logout",
    "account_reauthenticate",
    "account_email",
    "account_confirm_email",
    "account_email_verification_sent",
    "accounts:confirm_email",
    "accounts:resend_verification",
    "set_language",
    "healthz",
    "privacy",
    "accounts:accept_privacy",
}


def has_active_mfa(user):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def is_exempt_path(path):
    static_url = settings.STATIC_URL or "/static/"
    if path.startswith(static_url) or path == "/favicon.ico":
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a 404 stays a 404
    name = match.view_name or ""
    return name.startswith("mfa_") or name in ALLOWED_VIEW_NAMES


def _redirect(request, target):
    """A redirect that also works for htmx requests (which follow ``HX-Redirect``, not a 302)."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


class _Gate:
    """Sends a signed-in user for whom :meth:`applies` holds to :meth:`target` from every page that is
    not exempt (see :func:`is_exempt_path`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not is_exempt_path(request.path_info)
                and self.applies(user)):
            return _redirect(request, self.target(request))
        return self.get_response(request)


def start_session_clock(sender, request, user, **kwargs):
    """At each log-in the session's lifetime and idle time start again."""
    if hasattr(request, "session"):
        now = int(time.time())
        request.session[SessionTimeoutMiddleware.LOGIN_KEY] = request.session[SessionTimeoutMiddleware.ACTIVITY_KEY] = now


class SessionTimeoutMiddleware:
    """Sign out a session idle for longer than its limit (SESSION_IDLE_TIMEOUT_STAFF for those who must use
    MFA, SESSION_IDLE_TIMEOUT for the others) or older than SESSION_ABSOLUTE_LIFETIME since the log-in,
    and say why on the log-in page. The last activity is written at most once a minute (not a session
    write per request)."""

    ACTIVITY_KEY, LOGIN_KEY = "eplus_last_activity", "eplus_signed_in_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            signed_in_at = session.setdefault(self.LOGIN_KEY, now)
            last = session.get(self.ACTIVITY_KEY, now)
            idle_limit = (settings.SESSION_IDLE_TIMEOUT_STAFF if getattr(user, "must_use_mfa", False)
                          else settings.SESSION_IDLE_TIMEOUT)
            if now - last > idle_limit or now - signed_in_at > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                messages.info(request, _("You were signed out because your session expired. Log in again to "
                                         "continue."))
                return _redirect(request, f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
            if now - last >= 60 or self.ACTIVITY_KEY not in session:
                session[self.ACTIVITY_KEY] = now
        return self.get_response(request)


class EnforceStaffMFAMiddleware(_Gate):
    def applies(self, user):
        return getattr(user, "must_use_mfa", False) and not has_active_mfa(user)

    def target(self, request):
        messages.warning(
            request,
            _("Agency staff, experts, the Commission and administrators must use two-factor authentication. "
              "Set up an authenticator app to continue."),
        )
        return reverse("mfa_activate_totp")


class RequirePrivacyAcceptanceMiddleware(_Gate):
    """People who signed in through an identity provider (OpenID Connect) never saw the sign-up form's
    privacy-notice checkbox; they accept the notice before anything else (the same pages stay open as
    for MFA). Accounts made on the sign-up form accepted it there."""

    def applies(self, user):
        return getattr(user, "privacy_accepted_at", True) is None and user.socialaccount_set.exists()

    def target(self, request):
        return f"{reverse('accounts:accept_privacy')}?{urlencode({'next': request.get_full_path()})}"
