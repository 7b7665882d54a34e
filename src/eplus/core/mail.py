"""E-mails made from a pair of templates, ``<prefix>_subject.txt`` and ``<prefix>_body.txt``, rendered in
the recipient's language (every app's notifications go through here)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def language_of(user):
    """The language a user chose for e-mails (the site's default when none)."""
    return getattr(user, "email_language", None) or settings.LANGUAGE_CODE


def render_mail(prefix, context, language):
    """(subject on one line, body) of the templates ``prefix``_subject.txt / _body.txt in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
        body = render_to_string(f"{prefix}_body.txt", context)
    return subject, body


def send_templated_mail(prefix, context, recipient_email, language):
    subject, body = render_mail(prefix, context, language)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient_email])
