"""Gates every page for signed-in users: MFA for staff and experts, and the accepted privacy notice.

MFA is enforced for agency staff, experts and administrators (``user.must_use_mfa``).

Such a user without an activated authenticator is redirected to the TOTP activation page for every
page except the MFA set-up pages, re-authentication, e-mail confirmation, log-out, static files and
the language switch.
"""

from django.conf import settings
from django.contrib import messages
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


class EnforceStaffMFAMiddleware(_Gate):
    def applies(self, user):
        return getattr(user, "must_use_mfa", False) and not has_active_mfa(user)

    def target(self, request):
        messages.warning(
            request,
            _("Agency staff, experts and administrators must use two-factor authentication. "
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
