from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One row per state change anywhere in eplus: who, when, what changed (field diffs)."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        STATUS = "status", _("status changed")
        EVENT = "event", _("event")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    verb = models.CharField(_("what happened"), max_length=80, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    agency_code = models.CharField(_("agency"), max_length=16, blank=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)


class OutgoingMail(models.Model):
    """One e-mail, written in the transaction of the change that causes it and sent by a task (the outbox).

    The row is the record of what was sent to whom: agency staff read it (``agency_code``), the sender
    retries with backoff when the mail server fails, and a mail is sent at most once per row (the task
    locks the row; a stable Message-ID lets a mail server drop the rare repeat after a crash mid-send).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")

    created_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=100, help_text=_("The template, e.g. applications/email/submitted."))
    recipients = models.JSONField(_("recipients"), default=list)
    from_email = models.CharField(_("from"), max_length=255)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    headers = models.JSONField(_("further headers"), default=dict, blank=True,
                               help_text=_("E.g. List-Unsubscribe of the saved-search digests."))
    related_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    related_id = models.CharField(_("about (id)"), max_length=64, blank=True)
    agency_code = models.CharField(_("agency"), max_length=16, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.recipients)}"
