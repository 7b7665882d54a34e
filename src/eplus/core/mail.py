"""E-mails made from a pair of templates, ``<prefix>_subject.txt`` and ``<prefix>_body.txt``, rendered in
the recipient's language and written to the outbox (every app's notifications go through here)."""

from django.conf import settings
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


def queue_templated_mail(prefix, context, recipient_email, language, *, related=None, agency_code="", headers=None):
    """Render the mail now (in the recipient's language) and queue it in the outbox; it is sent after
    the current transaction commits. ``related``/``agency_code``: what it is about and which agency's
    staff may read it in the outbox."""
    from .outbox import queue_mail

    subject, body = render_mail(prefix, context, language)
    return queue_mail([recipient_email], subject, body, kind=prefix, language=language, related=related,
                      agency_code=agency_code, headers=headers)
