"""The beneficiary module (DOMAIN §7): the project made from the grant, who may see or edit it, its
payments, reports (every submitted version kept), amendments, the final-report assessment and the
log of reminders already sent (so the sweep never sends one twice).

Statuses are TextChoices with stable machine keys; labels are translated.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eplus.core.audit import AuditedModel, TimeStampedModel
from eplus.core.money import MoneyField


class ProjectStatus(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    FINAL_REPORT_AWAITED = "final-report-awaited", _("Final report awaiting submission")
    FINAL_REPORT_SUBMITTED = "final-report-submitted", _("Final report submitted")
    FINALISED = "finalised", _("Finalised")
    # The key of projects terminated before the termination procedure (kept readable: audit trail, exports);
    # no row keeps it (migration termination_procedure).
    TERMINATED = "terminated", _("Terminated")
    TERMINATED_WITH_COSTS = "terminated-with-costs", _("Terminated with eligible costs")
    TERMINATED_WITHOUT_COSTS = "terminated-without-costs", _("Terminated without eligible costs")


TERMINATED_STATUSES = (ProjectStatus.TERMINATED, ProjectStatus.TERMINATED_WITH_COSTS,
                       ProjectStatus.TERMINATED_WITHOUT_COSTS)
CLOSED_STATUSES = (ProjectStatus.FINALISED, *TERMINATED_STATUSES)


class AccessLevel(models.TextChoices):
    VIEW = "view", _("View")
    EDIT = "edit", _("Edit")


class PaymentKind(models.TextChoices):
    PREFINANCING = "prefinancing", _("Pre-financing")
    FURTHER = "further-prefinancing", _("Further pre-financing")
    BALANCE = "balance", _("Balance")
    RECOVERY = "recovery", _("Recovery")


class PaymentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    BLOCKED = "blocked", _("Blocked")
    CANCELLED = "cancelled", _("Cancelled")


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    INTERIM = "interim", _("Interim report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UPDATE_REQUESTED = "update-requested", _("Update requested")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")


EDITABLE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.UPDATE_REQUESTED)
# A report "is in" once submitted (until the agency asks for an update): no reminders then.
REPORT_IN_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.CANCELLED)


class ReportLanguage(models.TextChoices):
    LV = "lv", _("Latvian")
    EN = "en", _("English")


class AmendmentKind(models.TextChoices):
    DATES = "dates", _("Project dates")
    PARTNERS = "partners", _("Partners")
    BUDGET = "budget", _("Split of the budget")


class AmendmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("amendment status", "Rejected")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Being assessed")
    APPROVED = "approved", _("Approved")


def _agreement_path(instance, filename):
    return f"projects/{instance.pk or 'new'}/agreement/{filename[-80:]}"


class Project(AuditedModel, TimeStampedModel):
    application = models.OneToOneField("applications.Application", verbose_name=_("application"),
                                       on_delete=models.PROTECT, related_name="project")
    call = models.ForeignKey("programme.Call", verbose_name=_("call"), on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("programme.Agency", verbose_name=_("agency"), on_delete=models.PROTECT,
                               related_name="projects")
    coordinator = models.ForeignKey("organisations.Organisation", verbose_name=_("coordinating organisation"),
                                    on_delete=models.PROTECT, related_name="coordinated_projects")
    number = models.CharField(_("project number"), max_length=40, unique=True)
    title = models.CharField(_("project title"), max_length=255)
    action_code = models.CharField(_("action"), max_length=16)
    signed_on = models.DateField(_("grant agreement signed on"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    lump_sum = MoneyField(_("lump sum"))
    status = models.CharField(_("status"), max_length=24, choices=ProjectStatus.choices,
                              default=ProjectStatus.ONGOING, db_index=True)
    status_reason = models.TextField(_("reason"), blank=True)
    # [{"number": 1, "title": "...", "amount": "50000.00"}]: work packages (KA220) or activities (KA210)
    budget_items = models.JSONField(_("work packages or activities"), default=list, blank=True)
    budget_kind = models.CharField(max_length=16, default="work-packages")
    agreement_pdf = models.FileField(_("grant agreement"), upload_to=_agreement_path, blank=True, max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-start_date", "number"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return f"{self.number} — {self.title}"

    @property
    def audit_agency_code(self):
        return self.agency.code if self.agency_id else ""

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("projects:detail", args=[self.pk])


class ProjectAccess(AuditedModel, TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="project_accesses")
    organisation = models.ForeignKey("organisations.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    level = models.CharField(_("access"), max_length=8, choices=AccessLevel.choices)

    audit_status_field = "level"

    class Meta:
        ordering = ["project", "user__last_name", "user__first_name"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="uniq_project_access")]

    def __str__(self):
        return f"{self.user} → {self.project_id} ({self.level})"


class ProjectPartner(AuditedModel, TimeStampedModel):
    """A partner organisation of the project (the coordinator is ``Project.coordinator``). Made from the
    application's participations; changed only by an approved amendment (a removed partner is kept,
    inactive, so the history stays readable)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey("organisations.Organisation", verbose_name=_("organisation"),
                                     on_delete=models.PROTECT, related_name="project_partnerships")
    role = models.CharField(_("role"), max_length=24, default="partner")
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("partner of the project"), default=True)

    audit_status_field = "active"

    class Meta:
        ordering = ["project", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "organisation"], name="uniq_project_partner")]

    def __str__(self):
        return f"{self.project_id} {self.organisation_id} ({'active' if self.active else 'removed'})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code


def _letter_path(instance, filename):
    return f"projects/{instance.project_id}/payments/{filename}"


class Payment(AuditedModel, TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    kind = models.CharField(_("kind"), max_length=24, choices=PaymentKind.choices)
    sequence = models.PositiveSmallIntegerField(default=1)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = MoneyField(_("amount"))
    at_most = models.BooleanField(_("maximum only"), default=False)
    due = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PLANNED)
    status_reason = models.TextField(_("reason"), blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    letter = models.FileField(_("payment letter"), upload_to=_letter_path, blank=True, max_length=255)

    class Meta:
        ordering = ["project", "sequence"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.project.number} {self.kind} {self.amount}"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code


def _declaration_path(instance, filename):
    return f"projects/{instance.project_id}/reports/{instance.pk or 'new'}/{instance.declaration_sha256[:16]}-{filename[-60:]}"


class Report(AuditedModel, TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    sequence = models.PositiveSmallIntegerField(default=1)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT,
                              db_index=True)
    language = models.CharField(_("language of the report"), max_length=2, choices=ReportLanguage.choices, blank=True)
    sections = models.JSONField(_("sections"), default=dict, blank=True)
    prefinancing_used = MoneyField(_("pre-financing used"), null=True, blank=True)
    declaration = models.FileField(_("declaration on honour"), upload_to=_declaration_path, blank=True, max_length=255)
    declaration_name = models.CharField(max_length=255, blank=True)
    declaration_sha256 = models.CharField(max_length=64, blank=True)
    declaration_type = models.CharField(max_length=40, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    agency_comment = models.TextField(_("agency's comment"), blank=True)
    # Documents the agency asked for with its last update request (titles); each must be attached before
    # the report is submitted again (ReportDocument with this report's present version).
    requested_documents = models.JSONField(_("documents asked for"), default=list, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "due", "sequence"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self):
        return f"{self.project.number} {self.get_kind_display()} ({self.period_start}–{self.period_end})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code

    @property
    def is_editable(self):
        return self.status in EDITABLE_REPORT_STATUSES

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("projects:report", args=[self.project_id, self.pk])


def _document_path(instance, filename):
    return f"projects/{instance.report.project_id}/reports/{instance.report_id}/documents/{instance.sha256[:16]}-{filename[-60:]}"


class ReportDocument(AuditedModel, TimeStampedModel):
    """A document the agency asked for when it sent the report back, attached by the beneficiary; kept with
    the number of submissions made before it (``report_version``), so each round's files stay readable."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("document"), max_length=200)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=255)
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=40, blank=True)
    report_version = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["report", "report_version", "title", "pk"]
        verbose_name = _("report document")
        verbose_name_plural = _("report documents")

    def __str__(self):
        return f"{self.report} — {self.title}"

    @property
    def audit_agency_code(self):
        return self.report.project.audit_agency_code


class ReportVersion(models.Model):
    """One submitted version of a report: an immutable copy of what was submitted."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=2)
    sections = models.JSONField()
    prefinancing_used = MoneyField(null=True, blank=True)
    declaration_name = models.CharField(max_length=255)
    declaration_sha256 = models.CharField(max_length=64)
    # The declaration file this version was submitted with: a later upload gets a new name (its hash is in
    # it), so an earlier version's file stays readable after the report is sent back and signed again.
    declaration_file = models.FileField(upload_to=_declaration_path, blank=True, max_length=255)
    declaration_type = models.CharField(max_length=40, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="uniq_report_version")]

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("A submitted report version is immutable.")
        super().save(*args, **kwargs)


class Amendment(AuditedModel, TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="amendments")
    kind = models.CharField(_("what to change"), max_length=16, choices=AmendmentKind.choices)
    description = models.TextField(_("the change and why it is needed"))
    proposed = models.JSONField(_("proposed values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=AmendmentStatus.choices,
                              default=AmendmentStatus.REQUESTED)
    reason = models.TextField(_("reason for the decision"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-created_at"]

    def __str__(self):
        return f"{self.project.number} {self.kind} ({self.status})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code


class FinalAssessment(AuditedModel, TimeStampedModel):
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="assessment")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assessments")
    overall_score = models.DecimalField(_("score out of 100"), max_digits=5, decimal_places=2, null=True, blank=True)
    wp_scores = models.JSONField(_("scores per work package"), default=dict, blank=True)
    reduction_percent = models.DecimalField(_("reduction (%)"), max_digits=5, decimal_places=2, default=0)
    reduction = MoneyField(_("reduction"), default=0)
    final_grant = MoneyField(_("final grant"), default=0)
    paid = MoneyField(_("already paid"), default=0)
    balance = MoneyField(_("balance (negative: recovery)"), default=0)
    decision_due = models.DateField(_("decision due"))
    status = models.CharField(_("status"), max_length=16, choices=AssessmentStatus.choices,
                              default=AssessmentStatus.DRAFT)
    comments = models.TextField(_("comments"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # The newer decision that replaced this one (a claim or a reopening, eplus.projects.claims); this one
    # stays readable as it was.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="supersedes", verbose_name=_("superseded by"))
    # A reduction of the final grant proposed by a check's or audit's finding and applied by the agency
    # (eplus.projects.claims.apply_finding): taken off the grant the scores give.
    adjustment = MoneyField(_("reduction after a finding"), default=0)
    adjustment_reason = models.TextField(_("reason for the reduction after a finding"), blank=True)

    def __str__(self):
        return f"{self.project.number} assessment ({self.status})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code

    @property
    def recovery(self):
        return -self.balance if self.balance < 0 else 0


class ReminderLog(models.Model):
    """One reminder sent: (project, kind, day, recipient) is unique so the sweep never sends it twice."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=40)
    on = models.DateField()
    recipient = models.EmailField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["project", "kind", "on", "recipient"], name="uniq_reminder")]


def _new_token():
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a user's iCal feed URL (deadlines of their projects)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_calendar")
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(auto_now_add=True)


def _dossier_path(instance, filename):
    return f"projects/{instance.project_id}/dossier/{filename[-80:]}"


class DossierAudience(models.TextChoices):
    AGENCY = "agency", _("The agency (everything)")
    BENEFICIARY = "beneficiary", _("The beneficiary (what was shared with it)")


class ProjectDossier(models.Model):
    """The auditors' dossier (ZIP) last built for a project and an audience: built by a task when asked for
    (a POST), served as stored by the download. The agency's holds everything; the beneficiary's leaves out
    what the agency did not share with it (its unshared checks and their audit trail)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dossiers")
    audience = models.CharField(_("built for"), max_length=12, choices=DossierAudience.choices,
                                default=DossierAudience.AGENCY)
    file = models.FileField(_("auditors' dossier"), upload_to=_dossier_path, max_length=255)
    built_at = models.DateTimeField(_("built at"))
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "audience"], name="uniq_dossier_audience")]

    def __str__(self):
        return f"{self.project_id} {self.audience} dossier ({self.built_at:%Y-%m-%d %H:%M})"


# --- termination (issue 14, item 4; eplus.projects.termination) ------------------------------------

class TerminationOrigin(models.TextChoices):
    REQUEST = "request", _("Requested by the beneficiary")
    NOTICE = "notice", _("Notice by the agency")


class TerminationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the beneficiary")
    NOTIFIED = "notified", _("Notice sent, observations awaited")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", pgettext_lazy("termination status", "Rejected")
    WITHDRAWN = "withdrawn", _("Notice withdrawn")


OPEN_TERMINATION_STATUSES = (TerminationStatus.REQUESTED, TerminationStatus.NOTIFIED)


class TerminationOutcome(models.TextChoices):
    WITH_COSTS = "with-costs", _("With eligible costs: activities were implemented")
    WITHOUT_COSTS = "without-costs", _("Without eligible costs: final grant 0, everything paid is recovered")


class Termination(AuditedModel, TimeStampedModel):
    """One termination procedure of a project: the beneficiary's request or the agency's notice, the
    beneficiary's observations, and the agency's confirmation with its effect on the grant."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="terminations")
    origin = models.CharField(_("initiated by"), max_length=8, choices=TerminationOrigin.choices)
    status = models.CharField(_("status"), max_length=12, choices=TerminationStatus.choices)
    reason = models.TextField(_("reason for the termination"))
    requested_effective_date = models.DateField(_("requested effective date"), null=True, blank=True)
    notified_on = models.DateField(_("notice sent on"), null=True, blank=True)
    observations_due = models.DateField(_("observations due by"), null=True, blank=True)
    observations = models.TextField(_("the beneficiary's observations"), blank=True)
    observations_at = models.DateTimeField(_("observations sent at"), null=True, blank=True)
    beneficiary_agrees = models.BooleanField(_("the beneficiary agrees to the termination"), default=False)
    outcome = models.CharField(_("effect on the grant"), max_length=16, choices=TerminationOutcome.choices,
                               blank=True)
    effective_date = models.DateField(_("takes effect on"), null=True, blank=True)
    final_report_due = models.DateField(_("final report due"), null=True, blank=True)
    paid_at_termination = MoneyField(_("paid when terminated"), null=True, blank=True)
    final_grant = MoneyField(_("final grant"), null=True, blank=True)
    recovery_amount = MoneyField(_("amount to recover"), null=True, blank=True)
    decision_reason = models.TextField(_("the agency's decision"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-created_at"]
        verbose_name = _("termination")
        verbose_name_plural = _("terminations")
        constraints = [models.UniqueConstraint(fields=["project"],
                                               condition=models.Q(status__in=["requested", "notified"]),
                                               name="uniq_open_termination")]

    def __str__(self):
        return f"{self.project.number} termination ({self.status})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code

    @property
    def is_open(self):
        return self.status in OPEN_TERMINATION_STATUSES


# --- checks, monitoring and audit (issue 14, item 7; eplus.projects.monitoring) --------------------

class CheckKind(models.TextChoices):
    DESK_CHECK = "desk-check", _("Desk check")
    MONITORING_VISIT = "monitoring-visit", _("Monitoring visit")
    AUDIT = "audit", _("Audit")


class CheckStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")


class ProposedAction(models.TextChoices):
    NONE = "none", _("No action")
    REDUCTION = "reduction", _("Grant reduction")
    RECOVERY = "recovery", pgettext_lazy("proposed action", "Recovery")


def _check_report_path(instance, filename):
    return f"projects/{instance.project_id}/checks/{filename[-80:]}"


class ProjectCheck(AuditedModel, TimeStampedModel):
    """A desk check, monitoring visit or audit of a project by the agency, with its report file, findings
    and proposed action; shared with the beneficiary, who may answer within the call's period."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(_("kind"), max_length=16, choices=CheckKind.choices)
    status = models.CharField(_("status"), max_length=8, choices=CheckStatus.choices, default=CheckStatus.PLANNED)
    planned_on = models.DateField(_("planned for"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    report_file = models.FileField(_("report"), upload_to=_check_report_path, blank=True, max_length=255)
    report_name = models.CharField(max_length=255, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)
    report_type = models.CharField(max_length=40, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    proposed_action = models.CharField(_("proposed action"), max_length=12, choices=ProposedAction.choices,
                                       default=ProposedAction.NONE)
    proposed_amount = MoneyField(_("proposed amount"), null=True, blank=True)
    shared = models.BooleanField(_("shared with the beneficiary"), default=False)
    shared_on = models.DateField(_("shared on"), null=True, blank=True)
    answer_due = models.DateField(_("answer due by"), null=True, blank=True)
    beneficiary_answer = models.TextField(_("the beneficiary's answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    # The reopening of the final decision that applied this finding's proposed reduction or recovery.
    applied_in = models.ForeignKey("FinalReportClaim", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="findings_applied", verbose_name=_("applied in"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["project", "-created_at"]
        verbose_name = _("check")
        verbose_name_plural = _("checks")

    def __str__(self):
        return f"{self.project.number} {self.kind} ({self.status})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code


# --- recovery (issue 14, item 3; eplus.projects.recovery) ------------------------------------------

class DebitNoteStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTLY_PAID = "partly-paid", _("Partly paid")
    PAID = "paid", _("Paid")
    WRITTEN_OFF = "written-off", _("Written off")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_DEBIT_NOTE_STATUSES = (DebitNoteStatus.ISSUED, DebitNoteStatus.PARTLY_PAID)


def _debit_note_path(instance, filename):
    return f"projects/{instance.project_id}/debit-notes/{filename[-80:]}"


class DebitNote(AuditedModel, TimeStampedModel):
    """What a project must pay back after a final decision: the recovery (``payment``, a Payment of kind
    recovery) less the amounts still due to the beneficiary offset against it (:class:`Offset`); the rest
    (``amount``) is asked for by the debit note and paid back in one or more :class:`Repayment`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="debit_notes")
    assessment = models.ForeignKey(FinalAssessment, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="debit_notes")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="debit_note")
    sequence = models.PositiveSmallIntegerField(default=1)
    amount = MoneyField(_("amount to pay back"))
    offset_amount = MoneyField(_("offset against amounts due"), default=0)
    repaid = MoneyField(_("paid back"), default=0)
    reason = models.TextField(_("reason"))
    notified_on = models.DateField(_("notified on"))
    due_on = models.DateField(_("due"))
    payment_reference = models.CharField(_("payment reference"), max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=2, choices=ReportLanguage.choices)
    status = models.CharField(_("status"), max_length=16, choices=DebitNoteStatus.choices,
                              default=DebitNoteStatus.ISSUED, db_index=True)
    status_reason = models.TextField(_("reason for the status"), blank=True)
    pdf = models.FileField(_("debit note"), upload_to=_debit_note_path, blank=True, max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["project", "sequence"]
        verbose_name = _("debit note")
        verbose_name_plural = _("debit notes")
        constraints = [models.UniqueConstraint(fields=["project", "sequence"], name="uniq_debit_note_sequence")]

    def __str__(self):
        return f"{self.payment_reference} {self.amount}"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code

    @property
    def outstanding(self):
        return self.amount - self.repaid

    @property
    def is_open(self):
        return self.status in OPEN_DEBIT_NOTE_STATUSES


class Offset(AuditedModel, TimeStampedModel):
    """Part of a payment still due to the beneficiary (of this or another project of the same coordinator
    and agency) kept back to settle a debit note: the payment keeps its amount (it counts as paid to its
    project once made); only ``amount`` less is transferred."""

    debit_note = models.ForeignKey(DebitNote, on_delete=models.CASCADE, related_name="offsets")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="offsets")
    amount = MoneyField(_("amount offset"))

    class Meta:
        ordering = ["debit_note", "pk"]
        constraints = [models.UniqueConstraint(fields=["debit_note", "payment"], name="uniq_offset")]

    def __str__(self):
        return f"{self.debit_note.payment_reference} ← {self.payment_id} {self.amount}"

    @property
    def audit_agency_code(self):
        return self.debit_note.audit_agency_code


class Repayment(AuditedModel, TimeStampedModel):
    """Money received from the beneficiary on a debit note. ``request_ref`` is the form's one-time
    reference: the same form sent twice records one repayment."""

    debit_note = models.ForeignKey(DebitNote, on_delete=models.CASCADE, related_name="repayments")
    amount = MoneyField(_("amount received"))
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    request_ref = models.CharField(max_length=64)

    class Meta:
        ordering = ["debit_note", "received_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["debit_note", "request_ref"], name="uniq_repayment_ref")]

    def __str__(self):
        return f"{self.debit_note.payment_reference} {self.amount} ({self.received_on})"

    @property
    def audit_agency_code(self):
        return self.debit_note.audit_agency_code


class ClaimOrigin(models.TextChoices):
    BENEFICIARY = "claim", _("Claim by the beneficiary")
    AGENCY = "reopening", _("Reopened by the agency")


class ClaimStatus(models.TextChoices):
    FILED = "filed", _("Filed, awaiting the agency")
    ACCEPTED = "accepted", pgettext_lazy("claim status", "Accepted: the report is open again")
    REJECTED = "rejected", pgettext_lazy("claim status", "Rejected")
    DECIDED = "decided", _("New decision taken")


class FinalReportClaim(AuditedModel, TimeStampedModel):
    """A claim on the final-report decision (by the beneficiary) or a reopening of it (by the agency): once
    accepted, a new version of the final report (``claim_report``) is opened with the earlier content; its
    approved assessment supersedes the earlier decision and the payments follow (eplus.projects.claims)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claims")
    origin = models.CharField(_("origin"), max_length=12, choices=ClaimOrigin.choices)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="claims",
                               verbose_name=_("report claimed on"))
    assessment = models.ForeignKey(FinalAssessment, on_delete=models.CASCADE, related_name="claims",
                                   verbose_name=_("decision claimed on"))
    reason = models.TextField(_("grounds"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.FILED,
                              db_index=True)
    decision_reason = models.TextField(_("agency's reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    claim_report = models.OneToOneField(Report, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="opened_by_claim", verbose_name=_("new version of the report"))

    class Meta:
        ordering = ["project", "created_at", "pk"]
        verbose_name = _("claim on the final report")
        verbose_name_plural = _("claims on the final report")

    def __str__(self):
        return f"{self.project.number} {self.origin} ({self.status})"

    @property
    def audit_agency_code(self):
        return self.project.audit_agency_code
