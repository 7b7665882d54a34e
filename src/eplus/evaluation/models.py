"""The agency back office (DOMAIN §1, §6): one Case per submitted application, its formal check,
the near-duplicate findings, the experts and their assessments, the selection and the decisions,
and the grant agreement that turns a selected application into a project.

Statuses are TextChoices with stable machine keys; every model is audited (field diffs).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eplus.core.audit import AuditedModel, TimeStampedModel
from eplus.core.money import MoneyField


class FormalStatus(models.TextChoices):
    PENDING = "pending", _("Not checked yet")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")


class CaseState(models.TextChoices):
    CHECKS = "checks", _("Formal checks")
    ASSESSMENT = "assessment", _("Expert assessment")
    CONSOLIDATION = "consolidation", _("Consolidation needed")
    SCORED = "scored", _("Scored")
    CLOSED = "closed", _("Closed (ineligible)")


class Outcome(models.TextChoices):
    NONE = "", _("Not decided")
    SELECTED = "selected", _("Selected")
    RESERVE = "reserve", _("Reserve list")
    REJECTED = "rejected", pgettext_lazy("application outcome", "Rejected")
    DECLINED = "declined", _("Declined by the applicant")


class DecisionStatus(models.TextChoices):
    NONE = "", _("No decision")
    STAGED = "staged", _("Staged")
    RELEASED = "released", _("Released")


class Case(AuditedModel, TimeStampedModel):
    """The agency's file on one application: checks, scores, outcome, decision."""

    application = models.OneToOneField("applications.Application", on_delete=models.CASCADE, related_name="case")
    agency = models.ForeignKey("programme.Agency", on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey("programme.Call", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(_("sector"), max_length=3, blank=True)
    submission = models.ForeignKey("applications.Submission", null=True, on_delete=models.PROTECT,
                                   related_name="+")
    formal_status = models.CharField(_("formal check"), max_length=12, choices=FormalStatus.choices,
                                     default=FormalStatus.PENDING)
    formal_reason = models.TextField(_("reason"), blank=True)
    formal_verdict = models.JSONField(_("eligibility engine verdict"), default=dict, blank=True)
    formal_checked_at = models.DateTimeField(null=True, blank=True)
    formal_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(_("assessment state"), max_length=16, choices=CaseState.choices,
                             default=CaseState.CHECKS)
    consolidation_reason = models.TextField(_("why consolidation is needed"), blank=True)
    final_scores = models.JSONField(_("final scores"), default=dict, blank=True)
    final_total = models.DecimalField(_("final score"), max_digits=6, decimal_places=2, null=True, blank=True)
    final_method = models.CharField(max_length=16, blank=True)
    fundable = models.BooleanField(_("fundable"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.NONE,
                               blank=True)
    decision_status = models.CharField(_("decision"), max_length=12, choices=DecisionStatus.choices,
                                       default=DecisionStatus.NONE, blank=True)

    audit_status_field = "state"

    class Meta:
        ordering = ["application__number", "pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["agency", "call", "sector"])]

    def __str__(self):
        return self.application.number or f"{_('Case')} {self.pk}"

    @property
    def audit_agency_code(self):
        return self.agency.code if self.agency_id else ""

    def get_absolute_url(self):
        return reverse("evaluation:case", args=[self.pk])


class FindingStatus(models.TextChoices):
    SUSPICIOUS = "suspicious", _("Suspicious")
    CLEARED = "cleared", _("Cleared")
    CONFIRMED = "confirmed", _("Confirmed duplicate or plagiarism")


class SimilarityFinding(AuditedModel, TimeStampedModel):
    """A pair of near-identical texts: two applications of one deadline, or one and an earlier project."""

    deadline = models.DateTimeField(_("deadline"), db_index=True)
    case_a = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="findings_a")
    case_b = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="findings_b")
    reference_id = models.CharField(_("earlier project"), max_length=64, blank=True)
    reference_title = models.CharField(max_length=500, blank=True)
    jaccard = models.DecimalField(_("similarity"), max_digits=5, decimal_places=4)
    status = models.CharField(_("status"), max_length=12, choices=FindingStatus.choices,
                              default=FindingStatus.SUSPICIOUS)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-jaccard", "pk"]
        constraints = [models.UniqueConstraint(fields=["case_a", "case_b", "reference_id"], name="uniq_finding")]

    def __str__(self):
        other = self.case_b or self.reference_id
        return f"{self.case_a} ~ {other} ({self.jaccard})"

    @property
    def audit_agency_code(self):
        return self.case_a.agency.code


class SimilarityRun(AuditedModel, TimeStampedModel):
    """One run of the duplicate and originality check over a deadline, done by the task worker.

    At most one run per deadline waits or runs at a time (a second start returns it); its counts are the
    report the officer reads when it is done."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Did not finish")

    ACTIVE = (State.QUEUED, State.RUNNING)

    deadline = models.DateTimeField(_("deadline"), db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    applications = models.PositiveIntegerField(_("applications compared"), null=True, blank=True)
    pairs_found = models.PositiveIntegerField(_("suspicious pairs"), null=True, blank=True)
    error = models.TextField(blank=True)

    audit_status_field = "state"

    class Meta:
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["deadline"], condition=models.Q(state__in=["queued", "running"]),
                                               name="one_active_similarity_run_per_deadline")]

    def __str__(self):
        return f"similarity {self.deadline:%Y-%m-%d} {self.state}"

    @property
    def is_active(self):
        return self.state in self.ACTIVE


class ExpertProfile(AuditedModel, TimeStampedModel):
    """An external expert registered by an agency: the languages and fields they assess."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profiles")
    agency = models.ForeignKey("programme.Agency", on_delete=models.CASCADE, related_name="+")
    languages = models.JSONField(_("languages"), default=list, blank=True)
    sectors = models.JSONField(_("fields"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    audit_status_field = "active"

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [models.UniqueConstraint(fields=["user", "agency"], name="uniq_expert_profile")]

    def __str__(self):
        return str(self.user)

    @property
    def audit_agency_code(self):
        return self.agency.code


class AssignmentRole(models.TextChoices):
    FIRST = "first", _("First expert")
    SECOND = "second", _("Second expert")
    CONSOLIDATOR = "consolidator", _("Consolidating expert")


class Assignment(AuditedModel, TimeStampedModel):
    """One expert on one case. The expert sees the application only after declaring no conflict."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=16, choices=AssignmentRole.choices)
    declared_at = models.DateTimeField(_("conflict-of-interest declaration"), null=True, blank=True)
    no_conflict = models.BooleanField(_("no conflict of interest"), default=False)
    conflict_note = models.TextField(_("conflict declared"), blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")

    audit_status_field = "no_conflict"

    class Meta:
        ordering = ["case", "role"]
        constraints = [models.UniqueConstraint(fields=["case", "expert", "role"], name="uniq_assignment")]

    def __str__(self):
        return f"{self.case} — {self.expert} ({self.role})"

    @property
    def audit_agency_code(self):
        return self.case.agency.code

    @property
    def may_open(self):
        return self.declared_at is not None and self.no_conflict


class Assessment(AuditedModel, TimeStampedModel):
    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="assessment")
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    audit_status_field = "submitted_at"

    def __str__(self):
        return f"{self.assignment}"

    @property
    def audit_agency_code(self):
        return self.assignment.case.agency.code


class SelectionRun(AuditedModel, TimeStampedModel):
    """One selection of an agency × call (action) × sector within its envelope."""

    agency = models.ForeignKey("programme.Agency", on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey("programme.Call", on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(max_length=3, blank=True)
    envelope = MoneyField(_("envelope"))
    used = MoneyField(_("used"))
    tie_breaks = models.JSONField(default=list, blank=True)
    skip_to_fit = models.BooleanField(_("skip to the next application that fits"), default=False)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def audit_agency_code(self):
        return self.agency.code


class ManualChange(AuditedModel, TimeStampedModel):
    run = models.ForeignKey(SelectionRun, on_delete=models.CASCADE, related_name="changes")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="manual_changes")
    old_outcome = models.CharField(max_length=12, choices=Outcome.choices)
    new_outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]

    @property
    def audit_agency_code(self):
        return self.case.agency.code


class Decision(AuditedModel, TimeStampedModel):
    """The decision letter of a case: rendered when staged, e-mailed when the officer releases the outbox."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    status = models.CharField(max_length=12, choices=DecisionStatus.choices, default=DecisionStatus.STAGED)
    language = models.CharField(max_length=8, default="en")
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    comments = models.JSONField(_("consolidated comments"), default=dict, blank=True)
    staged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["case__application__number"]

    @property
    def audit_agency_code(self):
        return self.case.agency.code


class AgreementStatus(models.TextChoices):
    ISSUED = "issued", _("Waiting for the coordinator")
    ACCEPTED = "accepted", _("Accepted by the coordinator")
    COUNTERSIGNED = "countersigned", _("Countersigned by the agency")
    DECLINED = "declined", _("Declined by the coordinator")


def _agreement_path(instance, filename):
    return f"evaluation/agreements/{instance.case_id}/{filename}"


class GrantAgreement(AuditedModel, TimeStampedModel):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    status = models.CharField(max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.ISSUED)
    start_date = models.DateField(_("project start date"))
    end_date = models.DateField(_("project end date"))
    lump_sum = MoneyField(_("grant (lump sum)"))
    pdf = models.FileField(upload_to=_agreement_path, blank=True, max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    signed_pdf = models.FileField(upload_to=_agreement_path, blank=True, max_length=255)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    project_id = models.PositiveBigIntegerField(null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    declined_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    def __str__(self):
        return f"{_('Grant agreement')} {self.case}"

    @property
    def audit_agency_code(self):
        return self.case.agency.code


class EnvelopeMovement(AuditedModel, TimeStampedModel):
    """Money moved from one budget envelope to another (round 1 to round 2, one field to another), with its
    reason: a recorded movement, never an edit of either envelope's set amount (see ``envelopes``)."""

    source = models.ForeignKey("programme.BudgetEnvelope", verbose_name=_("from envelope"),
                               on_delete=models.PROTECT, related_name="movements_out")
    target = models.ForeignKey("programme.BudgetEnvelope", verbose_name=_("to envelope"),
                               on_delete=models.PROTECT, related_name="movements_in")
    amount = MoneyField(_("amount (EUR)"))
    reason = models.TextField(_("reason"))
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("moved by"), null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    moved_at = models.DateTimeField(_("moved at"))

    class Meta:
        ordering = ["-moved_at", "-pk"]
        verbose_name = _("envelope movement")
        verbose_name_plural = _("envelope movements")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="envelope_movement_positive"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")),
                                   name="envelope_movement_two_envelopes"),
        ]

    def __str__(self):
        return f"{self.source} → {self.target}: {self.amount} EUR"

    @property
    def audit_agency_code(self):
        return self.source.agency.code


class RedressStatus(models.TextChoices):
    REQUESTED = "requested", _("Review requested")
    UPHELD = "upheld", _("Decision upheld")
    REVISED = "revised", _("Decision to be revised")


class RedressRequest(AuditedModel, TimeStampedModel):
    """An applicant's request for a review of a released rejection, and the agency's outcome (issue 13, item 9;
    see ``redress``). One per decision."""

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="redress")
    grounds = models.TextField(_("grounds for the review"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(_("status"), max_length=12, choices=RedressStatus.choices,
                              default=RedressStatus.REQUESTED)
    outcome_reason = models.TextField(_("reason for the outcome"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("request for review")
        verbose_name_plural = _("requests for review")

    def __str__(self):
        return f"{_('Request for review')} {self.decision.case}"

    @property
    def audit_agency_code(self):
        return self.decision.case.agency.code

    @property
    def is_open(self):
        return self.status == RedressStatus.REQUESTED

    def get_absolute_url(self):
        return reverse("evaluation:redress_request", args=[self.pk])


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Being assessed")
    SUBMITTED = "submitted", _("Submitted")


class FinalReportReview(AuditedModel, TimeStampedModel):
    """One expert's assessment of a project's final report (issue 14, item 1; see ``final_reports``): the
    conflict-of-interest declaration that gates the report, then a score out of 100 (and a comment) per scored
    work package — or one overall score when the project has none to score."""

    report = models.ForeignKey("projects.Report", verbose_name=_("final report"), on_delete=models.CASCADE,
                               related_name="expert_reviews")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("expert"), on_delete=models.PROTECT,
                               related_name="final_report_reviews")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    due = models.DateField(_("due"))
    declared_at = models.DateTimeField(_("conflict-of-interest declaration"), null=True, blank=True)
    no_conflict = models.BooleanField(_("no conflict of interest"), default=False)
    conflict_note = models.TextField(_("conflict declared"), blank=True)
    # {"2": "80.00", "3": "45.50"} per scored work package, or {"overall": "70.00"}; comments keyed alike
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    comments = models.JSONField(_("comments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    report_version = models.PositiveIntegerField(_("version of the report assessed"), null=True, blank=True)

    class Meta:
        ordering = ["report", "created_at", "pk"]
        verbose_name = _("expert assessment of a final report")
        verbose_name_plural = _("expert assessments of final reports")
        constraints = [models.UniqueConstraint(fields=["report", "expert"], name="uniq_final_report_review")]

    def __str__(self):
        return f"{self.report_id} — {self.expert} ({self.status})"

    @property
    def audit_agency_code(self):
        return self.report.project.audit_agency_code

    @property
    def may_open(self):
        return self.declared_at is not None and self.no_conflict

    @property
    def is_submitted(self):
        return self.status == ReviewStatus.SUBMITTED
