"""Account forms: sign-up without a password, log-in, setting the password from the e-mail link."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import ResetPasswordKeyForm as AllauthResetPasswordKeyForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils.html import format_html
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from eplus.accounts.models import User

EMAIL_LANGUAGE_CHOICES = [("en", _("English")), ("lv", _("Latvian"))]


def _privacy_help():
    return format_html(
        '<a href="{}">{}</a>', reverse("privacy"), _("Read the privacy notice.")
    )


def _plain_widget(field):
    """Labels, not placeholders, tell the user what to type."""
    field.widget.attrs.pop("placeholder", None)
    return field


class SignupForm(AllauthSignupForm):
    """Sign-up: name, e-mail, e-mail language and the privacy notice. The password is chosen later,
    from the link in the verification e-mail."""

    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    email_language = forms.ChoiceField(
        label=_("E-mail language"), choices=EMAIL_LANGUAGE_CHOICES, initial="en",
        help_text=_("The language of the e-mails eplus sends you."),
    )
    privacy_accepted = forms.BooleanField(
        label=_("I have read and accept the privacy notice"),
        help_text=lazy(_privacy_help, str)(),
        error_messages={"required": _("You must accept the privacy notice to create an account.")},
    )

    field_order = ["first_name", "last_name", "email", "email_language", "privacy_accepted"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = _plain_widget(self.fields["email"])
        email.label = _("E-mail address")
        email.help_text = _(
            "Advice: use a shared organisational mailbox (for example projects@your-school.example) "
            "so that access to your organisation's applications survives staff changes."
        )
        # No password at sign-up: it is set from the verification e-mail.
        self.fields.pop("password1", None)
        self.fields.pop("password2", None)
        if not self.is_bound and self.initial.get("email_language") is None:
            from django.utils import translation

            current = (translation.get_language() or "en")[:2]
            if current in dict(EMAIL_LANGUAGE_CHOICES):
                self.initial["email_language"] = current


class LoginForm(AllauthLoginForm):
    """allauth's log-in form, always with the password (allauth drops it when the sign-up has none)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = _plain_widget(self.fields["login"])
        login.label = _("E-mail address")
        _plain_widget(self.fields["password"]).label = _("Password")

    def _setup_password_field(self):
        return None


class SetPasswordForm(forms.Form):
    """Choose the password after following the verification link. Each unmet rule is its own error."""

    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean_password1(self):
        password = self.cleaned_data["password1"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same. Type the same password twice."))
        return cleaned


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class AccountDataForm(forms.ModelForm):
    """The user's own data: name and e-mail language (a sensitive action: re-authentication first)."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email_language"]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "email_language": _("E-mail language"),
        }


class ResetPasswordForm(AllauthResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain_widget(self.fields["email"]).label = _("E-mail address")


class ResetPasswordKeyForm(AllauthResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _plain_widget(self.fields["password1"]).label = _("New password")
        _plain_widget(self.fields["password2"]).label = _("New password (again)")
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()


class PrivacyAcceptanceForm(forms.Form):
    accept_privacy = forms.BooleanField(
        label=_("I have read and accept the privacy notice"), help_text=lazy(_privacy_help, str)(),
        error_messages={"required": _("You must accept the privacy notice to use eplus.")},
    )
