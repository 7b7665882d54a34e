"""Applications (DOMAIN §2, §4, §5): the form in sections, partners, sharing, annexes, submissions.

Section content lives in :class:`Section` rows (JSON as typed, an integer ``version`` for optimistic
locking) with a :class:`SectionVersion` row per saved version. A :class:`Submission` is an immutable
snapshot (canonical JSON + SHA-256 + PDF); the latest one ``is_current`` and counts for assessment.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel, TimeStampedModel
from eplus.core.money import MoneyField


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ParticipantRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    PARTNER = "partner", _("Partner")
    ASSOCIATED_PARTNER = "associated-partner", _("Associated partner")


class AccessLevel(models.TextChoices):
    VIEW = "view", _("View")
    EDIT = "edit", _("Edit")
    SUBMIT = "submit", _("Edit and submit")


LEVEL_RANK = {AccessLevel.VIEW: 1, AccessLevel.EDIT: 2, AccessLevel.SUBMIT: 3}


class SectionStatus(models.TextChoices):
    NOT_STARTED = "not-started", _("Not started")
    IN_PROGRESS = "in-progress", _("In progress")
    COMPLETE = "complete", _("Complete")
    HAS_ERRORS = "has-errors", _("Has errors")


class AnnexKind(models.TextChoices):
    DECLARATION = "declaration-on-honour", _("Declaration on honour signed by the legal representative")
    MANDATE = "mandate", _("Partner mandate")
    OTHER = "other", _("Other annex")


class Application(AuditedModel, TimeStampedModel):
    call = models.ForeignKey("programme.Call", verbose_name=_("call"), on_delete=models.PROTECT,
                             related_name="applications")
    action = models.ForeignKey("programme.Action", verbose_name=_("action"), on_delete=models.PROTECT,
                               related_name="applications")
    sector = models.CharField(_("sector"), max_length=3, blank=True)
    agency = models.ForeignKey("programme.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="applications")
    applicant = models.ForeignKey("organisations.Organisation", verbose_name=_("applicant organisation"),
                                  on_delete=models.PROTECT, related_name="applications_as_applicant")
    number = models.CharField(_("application number"), max_length=40, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(_("language of the application"), max_length=8, blank=True)
    title = models.CharField(_("project title"), max_length=255, blank=True)
    start_date = models.DateField(_("project start date"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)
    lump_sum = MoneyField(_("lump sum"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self):
        return self.number or self.title or f"{_('Application')} {self.pk}"

    @property
    def action_type(self):
        return f"{self.action.code}-{self.sector}" if self.sector else self.action.code

    @property
    def audit_agency_code(self):
        return self.agency.code if self.agency_id else ""

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("applications:detail", args=[self.pk])


class NumberSeries(models.Model):
    """A counter per series (one per call year) from which application serials are drawn under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)


class Participation(AuditedModel, TimeStampedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="participations")
    organisation = models.ForeignKey("organisations.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("role"), max_length=24, choices=ParticipantRole.choices)
    order = models.PositiveSmallIntegerField(default=0)

    audit_status_field = "role"

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "organisation"], name="uniq_participation")]

    def __str__(self):
        return f"{self.organisation.oid} ({self.role})"


class Section(models.Model):
    """One section of the form: the data as typed, its version (optimistic locking) and status.

    Saved only through ``services.save_section`` (an UPDATE … WHERE version = base_version), which
    writes the audit event and the :class:`SectionVersion` itself.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=24)
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=SectionStatus.choices, default=SectionStatus.NOT_STARTED)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "key"]
        constraints = [models.UniqueConstraint(fields=["application", "key"], name="uniq_application_section")]

    def __str__(self):
        return f"{self.application_id}/{self.key} v{self.version}"


class SectionVersion(models.Model):
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField()
    note = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["section", "-version"]
        constraints = [models.UniqueConstraint(fields=["section", "version"], name="uniq_section_version")]


class ApplicationAccess(AuditedModel, TimeStampedModel):
    """An explicit share of an application with a named user (partner organisations' people)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="application_accesses")
    level = models.CharField(_("access"), max_length=8, choices=AccessLevel.choices)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    audit_status_field = "level"

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [models.UniqueConstraint(fields=["application", "user"], name="uniq_application_access")]

    def __str__(self):
        return f"{self.user} → {self.application_id} ({self.level})"


class ShareInvitation(AuditedModel, TimeStampedModel):
    """A share sent to an e-mail address: the person gets the access by following the link while signed in
    with that address and acting for an organisation of the application. Every share goes out so, whether
    or not the address has an account — the answer tells the sharer nothing about other people's accounts."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    level = models.CharField(_("access"), max_length=8, choices=AccessLevel.choices)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    audit_status_field = "level"

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["application", "email"], name="uniq_share_invitation")]

    def __str__(self):
        return f"{self.email} → {self.application_id} ({self.level})"


def _annex_path(instance, filename):
    return f"applications/{instance.application_id}/annexes/{instance.sha256[:16]}-{filename[-80:]}"


class Annex(AuditedModel, TimeStampedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="annexes")
    kind = models.CharField(_("kind of annex"), max_length=32, choices=AnnexKind.choices)
    organisation = models.ForeignKey("organisations.Organisation", verbose_name=_("for organisation"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to=_annex_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["kind", "created_at"]
        verbose_name = _("annex")
        verbose_name_plural = _("annexes")

    def __str__(self):
        return self.original_name


def _pdf_path(instance, filename):
    return f"applications/{instance.application_id}/submissions/{filename}"


class Submission(models.Model):
    """One submission: an immutable snapshot (canonical JSON + SHA-256), and its PDF made in the background."""

    IMMUTABLE = ("application_id", "number", "submitted_at", "submitted_by_id", "snapshot", "sha256")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="submissions")
    number = models.CharField(_("application number"), max_length=40)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField()
    sha256 = models.CharField(_("SHA-256 of the snapshot"), max_length=64)
    pdf = models.FileField(upload_to=_pdf_path, blank=True, max_length=255)
    is_current = models.BooleanField(_("counts for assessment"), default=True)
    # Set when submitted after the deadline, in the window the agency gave by accepting this report.
    incident = models.ForeignKey("IncidentReport", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="late_submissions")

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [models.UniqueConstraint(
            fields=["application"], condition=models.Q(is_current=True), name="one_current_submission")]

    def __str__(self):
        return f"{self.number} @ {self.submitted_at.isoformat()}"

    @property
    def submission_id(self):
        """The identifier quoted to the applicant: the application number and the submission's serial."""
        return f"{self.number}/S{self.pk}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = instance._immutable_values()
        return instance

    def _immutable_values(self):
        return {name: getattr(self, name) for name in self.IMMUTABLE}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            loaded = getattr(self, "_loaded", None)
            if loaded is None or loaded != self._immutable_values():
                raise ValidationError(_("A submission is immutable; its snapshot cannot be changed."))
        super().save(*args, **kwargs)
        self._loaded = self._immutable_values()

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A submission is immutable; it cannot be deleted."))


class Withdrawal(AuditedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="withdrawals")
    submission = models.ForeignKey(Submission, null=True, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn at"))
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-withdrawn_at"]


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Waiting for the agency's decision")
    ACCEPTED = "accepted", _("Accepted by the agency")
    REJECTED = "rejected", _("Rejected by the agency")


class IncidentReport(AuditedModel):
    """A technical problem near a deadline (DOMAIN §5), time-stamped on the server, seen by the agency,
    which accepts it (the applicant may then submit late, until ``late_until``) or rejects it."""

    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="incidents")
    call = models.ForeignKey("programme.Call", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("programme.Agency", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    description = models.TextField(_("what happened"))
    reported_at = models.DateTimeField(_("reported at (server time)"))
    status = models.CharField(_("decision"), max_length=12, choices=IncidentStatus.choices,
                              default=IncidentStatus.REPORTED)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    late_until = models.DateTimeField(_("may submit until"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at"]

    @property
    def audit_agency_code(self):
        return self.agency.code


def _screenshot_path(instance, filename):
    return f"applications/incidents/{instance.report_id}/{instance.sha256[:16]}-{filename[-80:]}"


class IncidentScreenshot(models.Model):
    report = models.ForeignKey(IncidentReport, on_delete=models.CASCADE, related_name="screenshots")
    file = models.FileField(upload_to=_screenshot_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=40)


class SubmissionParty(models.Model):
    """One organisation of a current submission, with what the rules across applications need.

    Written when a submission is made (the rows of the application's previous submission are replaced)
    and removed when it is withdrawn, so the eligibility engine reads a few small rows of the
    applications sharing an OID with the one being checked instead of every snapshot of the call.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="parties")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    oid = models.CharField(max_length=20, db_index=True)
    role = models.CharField(max_length=20, choices=ParticipantRole.choices)
    action = models.ForeignKey("programme.Action", on_delete=models.PROTECT, related_name="+")
    action_code = models.CharField(max_length=40)
    sector = models.CharField(max_length=8, blank=True)
    agency_code = models.CharField(max_length=20, blank=True)
    deadline = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["oid", "action", "deadline"], name="submissionparty_lookup")]

    def __str__(self):
        return f"{self.oid} ({self.role}) in {self.application_id}"


class ReferenceDataStamp(models.Model):
    """A token replaced whenever programme reference data changes (see programme.services.data_version):
    kept in the database so every server process sees an edit at once, whatever the cache backend."""

    key = models.CharField(max_length=20, unique=True)
    token = models.CharField(max_length=40)

    def __str__(self):
        return f"{self.key}: {self.token}"
