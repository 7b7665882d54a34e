"""Account views that differ from allauth's: the verification link sets the password; a new link;
the user's own account data (re-authentication first)."""

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import EmailAddress, EmailConfirmationHMAC, Login
from allauth.account.views import confirm_email as allauth_confirm_email
from django.contrib import messages
from django.contrib.auth import logout
from django.core import signing
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from eplus.accounts.decorators import sensitive_action
from eplus.accounts.forms import AccountDataForm, PrivacyAcceptanceForm, ResendVerificationForm, SetPasswordForm
from eplus.core.permissions import permission_required, public

INVALID, EXPIRED, USED, VALID = "invalid", "expired", "used", "valid"


def inspect_key(key):
    """``(state, email_address)`` for a verification key: valid, expired, used or invalid."""
    max_age = 60 * 60 * 24 * account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    try:
        pk = signing.loads(key, max_age=max_age, salt=account_settings.SALT)
    except signing.SignatureExpired:
        return EXPIRED, None
    except (signing.BadSignature, ValueError, TypeError):
        return INVALID, None
    address = EmailAddress.objects.select_related("user").filter(pk=pk).first()
    if address is None:
        return INVALID, None
    if address.verified:
        return USED, address
    return VALID, address


@public
@sensitive_post_parameters("password1", "password2")
def confirm_email(request, key):
    """The link in the verification e-mail: confirm the address and choose the password.

    A user who already has a password (an e-mail change, say) goes through allauth's confirmation.
    An expired, used or broken link shows what happened and how to get a new link.
    """
    if not account_settings.EMAIL_CONFIRMATION_HMAC:  # pragma: no cover - we use HMAC keys
        return allauth_confirm_email(request, key=key)
    state, address = inspect_key(key)
    if state == VALID and address.user.has_usable_password():
        return allauth_confirm_email(request, key=key)
    if state != VALID:
        return render(request, "account/verification_link_problem.html", {
            "state": state, "form": ResendVerificationForm(),
        }, status=200)

    user = address.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user.set_password(form.cleaned_data["password1"])
            user.save(audit_verb="password_set", audit_reason="e-mail verification")
            EmailConfirmationHMAC(address).confirm(request)
        messages.success(request, _("Your e-mail address is confirmed and your password is set. Welcome to eplus."))
        login = Login(user=user, email=address.email, email_verification=account_settings.EMAIL_VERIFICATION)
        return perform_password_login(request, {"email": address.email}, login)
    return render(request, "account/set_password_from_link.html", {"form": form, "email": address.email})


@public
def resend_verification(request):
    """Ask for a new verification link. The answer never reveals whether an account exists."""
    form = ResendVerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = EmailAddress.objects.filter(email__iexact=form.cleaned_data["email"], verified=False).first()
        if address is not None:
            send_verification_email_to_address(request, address, signup=True)
        messages.info(request, _(
            "If an account with this address is waiting for confirmation, we have sent a new link to it. "
            "If your address is already confirmed, log in or reset your password."
        ))
        return redirect("account_login")
    return render(request, "account/verification_link_problem.html", {"state": "resend", "form": form})


@permission_required("accounts.manage_own_account")
@sensitive_action(allow_get=True)
def account_data(request):
    """The user's name and e-mail language. Changing them needs a recent re-authentication."""
    form = AccountDataForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your account data has been saved."))
        return redirect("accounts:account_data")
    return render(request, "account/account_data.html", {"form": form})


@permission_required("accounts.manage_own_account")
def accept_privacy(request):
    """Asks a signed-in person who has not yet accepted the privacy notice (e.g. after an OpenID
    Connect log-in, which has no sign-up form) to accept it; then goes on to where they were heading."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this site only: anything else (another site, or a word, which redirect() would take for the
    # name of a view) goes to the dashboard.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("dashboard")
    form = PrivacyAcceptanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.user.privacy_accepted_at = timezone.now()
        request.user.save(update_fields=["privacy_accepted_at"], audit_verb="accept-privacy")
        return HttpResponseRedirect(target)
    return render(request, "account/accept_privacy.html", {"form": form, "next": target})
