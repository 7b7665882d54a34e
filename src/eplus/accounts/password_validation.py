"""Password rules of DOMAIN §3, each unmet rule reported with its own message.

* at least ``min_length`` characters (default 10);
* at least ``min_classes`` (default 3) of: upper-case letters, lower-case letters, digits, symbols;
* must not contain the e-mail name (the part of the e-mail address before the "@").

The limits come from settings (``PASSWORD_MIN_LENGTH`` / ``PASSWORD_MIN_CLASSES`` environment
variables, see AUTH_PASSWORD_VALIDATORS).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Shorter e-mail names ("jo@…") would forbid too many ordinary passwords to be a useful rule.
MIN_EMAIL_NAME_LENGTH = 3


def character_classes(password):
    """The set of character classes used in ``password``: upper, lower, digit, symbol."""
    classes = set()
    for char in password:
        if char.isupper():
            classes.add("upper")
        elif char.islower():
            classes.add("lower")
        elif char.isdigit():
            classes.add("digit")
        else:
            classes.add("symbol")
    return classes


def email_name(email):
    """The part of an e-mail address before the "@", lower-cased ("" when there is none)."""
    if not email or "@" not in email:
        return ""
    return email.rsplit("@", 1)[0].strip().lower()


def password_problems(password, email="", min_length=10, min_classes=3):
    """A list of ``(code, message)``, one per unmet rule; empty when the password is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append((
            "password_too_short",
            ngettext(
                "The password must contain at least %(min_length)d character.",
                "The password must contain at least %(min_length)d characters.",
                min_length,
            ) % {"min_length": min_length},
        ))
    if len(character_classes(password)) < min_classes:
        problems.append((
            "password_too_simple",
            _(
                "The password must use at least %(min_classes)d of these: upper-case letters, "
                "lower-case letters, digits and symbols."
            ) % {"min_classes": min_classes},
        ))
    name = email_name(email)
    if len(name) >= MIN_EMAIL_NAME_LENGTH and name in password.lower():
        problems.append((
            "password_contains_email_name",
            _("The password must not contain the name part of your e-mail address (%(name)s).")
            % {"name": name},
        ))
    return problems


class EplusPasswordValidator:
    def __init__(self, min_length=10, min_classes=3):
        self.min_length = int(min_length)
        self.min_classes = max(1, min(4, int(min_classes)))

    def validate(self, password, user=None):
        email = getattr(user, "email", "") if user is not None else ""
        problems = password_problems(password, email, self.min_length, self.min_classes)
        if problems:
            raise ValidationError([ValidationError(message, code=code) for code, message in problems])

    def get_help_text(self):
        return _(
            "Use at least %(min_length)d characters and at least %(min_classes)d of: upper-case letters, "
            "lower-case letters, digits and symbols. Do not use the name part of your e-mail address."
        ) % {"min_length": self.min_length, "min_classes": self.min_classes}
