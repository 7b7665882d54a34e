"""The outbox: every e-mail eplus sends is an :class:`OutgoingMail` row, committed with the change that
caused it, then sent by a task (:func:`deliver`) with retries and backoff.

Why a row and not ``send_mail`` in place: a mail sent inside a request is lost when the mail server is
down, slows the request, and is sent even if the change it reports is rolled back; a row is sent only
if the change commits, is retried until the server is back, and tells agency staff what went to whom.
"""

import logging
import smtplib
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutgoingMail

logger = logging.getLogger("eplus.mail")


def retry_delay(attempts):
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, … times MAIL_RETRY_BASE_SECONDS (a
    minute), at most 60 times that."""
    return timedelta(seconds=settings.MAIL_RETRY_BASE_SECONDS * min(2 ** max(attempts - 1, 0), 60))


def queue_mail(recipients, subject, body, *, kind, language="", html_body="", related=None, agency_code="",
               from_email=None, headers=None):
    """Write the e-mail to the outbox and have it sent once the current transaction commits. ``headers``:
    further headers ({name: value}, e.g. List-Unsubscribe); Message-ID is always the outbox's own."""
    from .tasks import enqueue_after_commit, send_outgoing_mail

    recipients = [r for r in recipients if r]
    if not recipients:
        return None
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "eplus.local"
    mail = OutgoingMail.objects.create(
        kind=kind, recipients=recipients, from_email=from_email or settings.DEFAULT_FROM_EMAIL, language=language,
        subject=subject, body=body, html_body=html_body, message_id=make_msgid(domain=domain),
        related_type=related._meta.label_lower if related is not None else "",
        related_id=str(related.pk) if related is not None else "", agency_code=agency_code or "",
        headers={k: v for k, v in (headers or {}).items() if k.lower() != "message-id"})
    enqueue_after_commit(send_outgoing_mail, mail.pk)
    return mail


def _message(mail):
    message = EmailMultiAlternatives(mail.subject, mail.body, mail.from_email, mail.recipients,
                                     headers={**(mail.headers or {}), "Message-ID": mail.message_id})
    if mail.html_body:
        message.attach_alternative(mail.html_body, "text/html")
    return message


def deliver(mail_id):
    """Send one queued mail (a task). Under a lock on its row: a mail being sent by another worker, or
    already sent, is left alone. On a mail-server failure the row waits for its next attempt."""
    with transaction.atomic():
        mail = (OutgoingMail.objects.select_for_update(skip_locked=True)
                .filter(pk=mail_id, state=OutgoingMail.State.QUEUED).first())
        if mail is None:
            return "not queued"
        mail.attempts += 1
        try:
            _message(mail).send()
        except (smtplib.SMTPException, OSError) as exc:
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if mail.attempts >= settings.MAIL_MAX_ATTEMPTS:
                mail.state, mail.next_attempt_at = OutgoingMail.State.FAILED, None
                logger.error("e-mail %s failed %s times; given up: %s", mail.pk, mail.attempts, mail.last_error)
            else:
                mail.next_attempt_at = timezone.now() + retry_delay(mail.attempts)
                logger.warning("e-mail %s not sent (%s); next attempt %s", mail.pk, mail.last_error,
                               mail.next_attempt_at)
                _send_again_later(mail)
            mail.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
            return mail.state
        mail.state, mail.sent_at, mail.next_attempt_at = OutgoingMail.State.SENT, timezone.now(), None
        mail.save(update_fields=["attempts", "state", "sent_at", "next_attempt_at"])
        return mail.state


def _send_again_later(mail):
    """Queue the next attempt for its time, with this attempt's record; a queue that cannot run a task
    later (the in-process one of the demo) leaves it to the sweep (:func:`retry_due`)."""
    from django_tasks import task_backends

    from .tasks import enqueue_after_commit, send_outgoing_mail

    if task_backends[send_outgoing_mail.backend].supports_defer:
        enqueue_after_commit(send_outgoing_mail.using(run_after=mail.next_attempt_at), mail.pk)


def retry_due(now):
    """Queue a send task for every mail waiting whose next attempt is due (run by the sweep; also picks up
    a mail whose task was lost, e.g. a web process killed between its commit and the enqueue)."""
    from .tasks import send_outgoing_mail

    stale = now - timedelta(minutes=5)
    due = list(OutgoingMail.objects.filter(state=OutgoingMail.State.QUEUED)
               .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=stale))
               .values_list("pk", flat=True))
    for mail_id in due:
        send_outgoing_mail.enqueue(mail_id)
    return {"e-mails retried": len(due)}

