"""allauth adapters: our sign-up data, e-mails in the recipient's language, a clear lockout message,
and users filled from OpenID Connect claims."""

import math
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import parse_rates
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

LANGUAGE_CODES = {"en", "lv"}


def lockout_minutes():
    """Minutes an account stays locked after too many wrong passwords (from the per-account rate)."""
    rates = parse_rates(getattr(settings, "ACCOUNT_RATE_LIMITS", {}).get("login_failed"))
    durations = [rate.duration for rate in rates if rate.per == "key"]
    return max(1, math.ceil(max(durations) / 60)) if durations else 15


def language_for_email(email, default=None):
    """The e-mail language of the account using ``email`` (or ``default`` / the site language)."""
    from eplus.accounts.models import User

    if email:
        lang = User.objects.filter(email__iexact=email).values_list("email_language", flat=True).first()
        if lang in LANGUAGE_CODES:
            return lang
    return default or settings.LANGUAGE_CODE


def request_language(request):
    lang = (getattr(request, "LANGUAGE_CODE", None) or translation.get_language() or "en")[:2]
    return lang if lang in LANGUAGE_CODES else settings.LANGUAGE_CODE


def _on_site(path):
    return settings.SITE_URL.rstrip("/") + path


class AccountAdapter(DefaultAccountAdapter):
    def __init__(self, request=None):
        super().__init__(request)
        self.error_messages = dict(self.error_messages)
        self.error_messages["too_many_login_attempts"] = _LockoutMessage()

    def save_user(self, request, user, form, commit=True):
        data = form.cleaned_data
        if data.get("email_language") in LANGUAGE_CODES:
            user.email_language = data["email_language"]
        if data.get("privacy_accepted"):
            user.privacy_accepted_at = timezone.now()
        return super().save_user(request, user, form, commit=commit)

    # Every link in an e-mail is on the site's public address (SITE_URL), as in eplus's own mails: not
    # on whatever host the request that caused the mail came in on.
    def get_email_confirmation_url(self, request, emailconfirmation):
        return _on_site(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key):
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return _on_site(path.replace("UID-KEY", quote(key)))

    def send_mail(self, template_prefix, email, context):
        """allauth's mails (address confirmation, password reset, …) rendered in the recipient's language
        and queued in the outbox like every other mail, instead of sent inside the request."""
        from allauth.core import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        from eplus.core.outbox import queue_mail

        user = context.get("user")
        lang = getattr(user, "email_language", None)
        if lang not in LANGUAGE_CODES:
            lang = language_for_email(email)
        request = allauth_context.request
        full_context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        with translation.override(lang):
            message = self.render_mail(template_prefix, email, full_context)
        html = next((content for content, mimetype in getattr(message, "alternatives", []) if mimetype == "text/html"), "")
        queue_mail(message.to, message.subject, message.body, kind=template_prefix, language=lang, html_body=html,
                   from_email=message.from_email, related=user if getattr(user, "pk", None) else None)

    def get_email_verification_redirect_url(self, email_address):
        if self.request.user.is_authenticated:
            return super().get_email_verification_redirect_url(email_address)
        from django.urls import reverse

        return reverse("account_login")


class _LockoutMessage:
    """Lazily translated, so the minutes and the language are those of the request."""

    def __str__(self):
        minutes = lockout_minutes()
        return ngettext(
            "Too many wrong passwords were entered for this account. For your security, log-in is "
            "blocked for %(minutes)d minute; then you can try again. If you forgot your password, "
            "reset it.",
            "Too many wrong passwords were entered for this account. For your security, log-in is "
            "blocked for %(minutes)d minutes; then you can try again. If you forgot your password, "
            "reset it.",
            minutes,
        ) % {"minutes": minutes}

    def __mod__(self, other):
        return str(self) % other


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Users who log in with an OpenID Connect provider (EU Login, an agency's own IdP).

    Names and e-mail come from the standard claims (given_name, family_name, email); the e-mail
    language from the ``locale`` claim when it is English or Latvian, else the current language.
    An e-mail address the provider marks as verified connects to an existing account with that
    address (SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT).
    """

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        claims = {}
        extra = getattr(sociallogin.account, "extra_data", None) or {}
        for part in ("id_token", "userinfo"):
            if isinstance(extra.get(part), dict):
                claims.update(extra[part])
        if not claims and isinstance(extra, dict):
            claims = extra
        user.first_name = (claims.get("given_name") or user.first_name or "")[:150]
        user.last_name = (claims.get("family_name") or user.last_name or "")[:150]
        if claims.get("email"):
            user.email = claims["email"].strip().lower()
        locale = str(claims.get("locale") or "")[:2].lower()
        user.email_language = locale if locale in LANGUAGE_CODES else request_language(request)
        return user
