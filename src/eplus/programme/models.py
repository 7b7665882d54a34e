"""Programme reference data: countries, agencies, actions, calls, priorities (DOMAIN §1–6).

Every figure lives here as data (loaded by ``manage load_programme``, edited in the admin), never in
code. Every change is audited (AuditedModel).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel
from eplus.core.money import MoneyField

from .call_validation import validate_call
from .choices import SECTOR_CODES, FundingModel, Sector


class BilingualName:
    """``display_name``: the Latvian name when it is set and Latvian is the active language, else English.

    For reference data stored with ``name_en`` and ``name_lv`` (actions, priorities, topics)."""

    @property
    def display_name(self):
        if self.name_lv and (get_language() or "").startswith("lv"):
            return self.name_lv
        return self.name_en


class Country(AuditedModel):
    class Status(models.TextChoices):
        EU_MEMBER = "eu-member", _("EU member state")
        ASSOCIATED = "associated", _("Third country associated to the programme")
        NON_ASSOCIATED = "non-associated", _("Third country not associated to the programme")
        NOT_ELIGIBLE = "not-eligible", _("Not eligible (in no region of the programme)")

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    name_lv = models.CharField(_("name (Latvian)"), max_length=100, blank=True)
    status = models.CharField(_("programme status"), max_length=20, choices=Status.choices)
    region = models.PositiveSmallIntegerField(
        _("third-country region"), null=True, blank=True,
        help_text=_("Region 1–14 of non-associated third countries; empty for programme countries."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self):
        return self.name

    @property
    def is_programme_country(self):
        return self.status in (self.Status.EU_MEMBER, self.Status.ASSOCIATED)

    @property
    def display_name(self):
        """The Latvian name when it is set and Latvian is the active language, else the English one."""
        if self.name_lv and (get_language() or "").startswith("lv"):
            return self.name_lv
        return self.name

    @classmethod
    def names(cls, codes):
        """{code: name in the active language (:attr:`display_name`)} of the countries ``codes`` (one query);
        a code that is no country is left out."""
        return {c.code: c.display_name for c in cls.objects.filter(code__in=list(codes)).only("code", "name", "name_lv")}


class Agency(AuditedModel):
    class Kind(models.TextChoices):
        NATIONAL = "national", _("National Agency")
        EXECUTIVE = "executive", _("Executive Agency")

    code = models.CharField(_("code"), max_length=16, unique=True, help_text=_("e.g. LV01"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NATIONAL)
    country = models.ForeignKey(
        Country, verbose_name=_("country"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="agencies",
    )
    fields = models.JSONField(
        _("fields"), default=list, blank=True,
        help_text=_("Fields the agency manages: SCH, VET, HED, ADU, YOU."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return f"{self.code} — {self.name}"

    @property
    def audit_agency_code(self):
        return self.code


class AgencyMembership(AuditedModel):
    """A person working for an agency: officer, administrator, or registered external expert."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("Agency officer")
        ADMIN = "admin", _("Agency administrator")
        EXPERT = "expert", _("External expert")

    STAFF_ROLES = (Role.OFFICER, Role.ADMIN)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="agency_memberships",
    )
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency membership")
        verbose_name_plural = _("agency memberships")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="uniq_agency_member_role")]

    def __str__(self):
        return f"{self.user} — {self.agency.code} ({self.get_role_display()})"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from .access import sync_admin_access

        sync_admin_access(self.user)

    def delete(self, *args, **kwargs):
        user = self.user
        result = super().delete(*args, **kwargs)
        from .access import sync_admin_access

        sync_admin_access(user)
        return result

    @property
    def audit_agency_code(self):
        return self.agency.code


# --------------------------------------------------------------------------------------------
# Reference data added by migration 0002: sectors, actions, calls, envelopes, priorities, topics,
# and the record of which data release is loaded. Every figure comes from the JSON files in
# programme/data/ (loaded by ``manage load_programme``), never from code.
# --------------------------------------------------------------------------------------------


class ReferenceDataRelease(models.Model):
    """One loaded data file (programme/data/*.json): what version of it the database holds.

    Not an audited model itself: the rows the release changed are audited, each event naming the
    release and version as its reason.
    """

    name = models.CharField(_("data set"), max_length=80, unique=True)
    version = models.CharField(_("version"), max_length=40)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    source = models.TextField(_("source"), blank=True)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("reference data release")
        verbose_name_plural = _("reference data releases")

    def __str__(self):
        return f"{self.name} {self.version}"


class Action(BilingualName, AuditedModel):
    """A KA2 action (KA210, KA220, KA240) or a centralised action managed by the executive agency."""

    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("e.g. KA220"))
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_lv = models.CharField(_("name (Latvian)"), max_length=200, blank=True)
    key_action = models.CharField(_("key action"), max_length=8, default="KA2")
    sectors = models.JSONField(
        _("sectors"), default=list, blank=True, help_text=_("Sector codes, e.g. [\"SCH\", \"VET\"]."),
    )
    managing_agency_kind = models.CharField(
        _("managed by"), max_length=16, choices=Agency.Kind.choices, default=Agency.Kind.NATIONAL,
    )
    managing_agency = models.ForeignKey(
        Agency, verbose_name=_("managing agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="managed_actions",
        help_text=_("Only for centralised actions; national agencies are chosen by the applicant's country."),
    )
    funding_model = models.CharField(_("funding model"), max_length=24, choices=FundingModel.choices)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["key_action", "code"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self):
        return f"{self.code} — {self.name_en}"


    @property
    def is_centralised(self):
        return self.managing_agency_kind == Agency.Kind.EXECUTIVE

    def clean(self):
        if not isinstance(self.sectors, list) or any(s not in SECTOR_CODES for s in self.sectors):
            raise ValidationError({"sectors": _("Sectors must be a list of sector codes: %(codes)s.")
                                   % {"codes": ", ".join(Sector.values)}})
        if len(set(self.sectors)) != len(self.sectors):
            raise ValidationError({"sectors": _("Each sector may be listed only once.")})
        if self.managing_agency_kind == Agency.Kind.EXECUTIVE and self.managing_agency_id is None:
            raise ValidationError({"managing_agency": _("A centralised action needs its managing agency.")})
        if self.managing_agency_kind == Agency.Kind.NATIONAL and self.managing_agency_id is not None:
            raise ValidationError({"managing_agency": _(
                "Actions managed by national agencies have no single managing agency; leave this empty.")})


class Call(AuditedModel):
    """One call for proposals: (year, action, round), with every rule an application is checked against.

    Simple figures are typed fields; structured rules are JSON validated by :meth:`clean` (the keys are
    documented in :mod:`eplus.programme.services`, which turns a call into the plain dict of rules).
    """

    year = models.PositiveSmallIntegerField(_("call year"))
    action = models.ForeignKey(Action, verbose_name=_("action"), on_delete=models.PROTECT, related_name="calls")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    deadline = models.DateTimeField(_("deadline"), help_text=_("Defined in Brussels time; the instant itself is closed."))
    start_earliest = models.DateField(_("earliest project start"), null=True, blank=True)
    start_latest = models.DateField(_("latest project start"), null=True, blank=True)
    funding_model = models.CharField(_("funding model"), max_length=24, choices=FundingModel.choices)
    lump_sum_options = models.JSONField(
        _("lump sum options"), default=list, blank=True,
        help_text=_("Amounts in euros as text, e.g. [\"30000.00\", \"60000.00\"]."),
    )
    grant_maximum = MoneyField(_("maximum grant"), null=True, blank=True)
    lots = models.JSONField(
        _("lots"), default=list, blank=True,
        help_text=_("Lots or priorities with their own maxima: [{\"code\", \"name_en\", \"grant_maximum\", \"duration_months\"}]."),
    )
    total_budget = MoneyField(_("total budget of the call"), null=True, blank=True)
    duration_min_months = models.PositiveSmallIntegerField(_("minimum duration (months)"), null=True, blank=True)
    duration_max_months = models.PositiveSmallIntegerField(_("maximum duration (months)"), null=True, blank=True)
    coordinator_min_age_years = models.PositiveSmallIntegerField(
        _("coordinator established at least (years before the deadline)"), null=True, blank=True,
    )
    max_topics = models.PositiveSmallIntegerField(_("maximum number of topics"), null=True, blank=True)
    composition = models.JSONField(_("consortium composition rules"), default=dict, blank=True)
    organisation_limits = models.JSONField(_("limits per organisation"), default=dict, blank=True)
    structure = models.JSONField(_("structure rules"), default=dict, blank=True)
    award_criteria = models.JSONField(_("award criteria"), default=list, blank=True)
    award_total_threshold = models.DecimalField(_("minimum total score"), max_digits=5, decimal_places=2, null=True, blank=True)
    award_criterion_threshold_share = models.DecimalField(
        _("minimum share of each criterion's maximum"), max_digits=4, decimal_places=3, null=True, blank=True,
        help_text=_("0.5 means at least half of the maximum points in every criterion."),
    )
    payment_schedule = models.JSONField(_("payment schedule"), default=list, blank=True)
    first_prefinancing_days = models.PositiveSmallIntegerField(
        _("first pre-financing within (days of signature)"), null=True, blank=True,
    )
    progress_report_days = models.PositiveSmallIntegerField(
        _("progress report due (days after the reporting period)"), null=True, blank=True,
    )
    final_report_days = models.PositiveSmallIntegerField(
        _("final report due (days after the project end)"), null=True, blank=True,
    )
    final_report_decision_days = models.PositiveSmallIntegerField(
        _("agency decides on the final report within (days of receipt)"), null=True, blank=True,
    )
    reduction_bands = models.JSONField(_("final report reduction bands"), default=list, blank=True)
    other_rules = models.JSONField(
        _("other rules"), default=dict, blank=True,
        help_text=_("Further rules: priorities, activity venues, incident report hours, one application per consortium."),
    )
    sources = models.JSONField(_("sources"), default=dict, blank=True, help_text=_("Where each figure comes from."))
    provisional = models.BooleanField(
        _("provisional"), default=False,
        help_text=_("A copy of an earlier call's rules until the Programme Guide of its year is loaded; "
                    "every page that shows the call says so."),
    )

    class Meta:
        ordering = ["deadline", "action__code", "round"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [models.UniqueConstraint(fields=["year", "action", "round"], name="uniq_call_year_action_round")]

    def __str__(self):
        return f"{self.year} {self.action.code} round {self.round}"

    def choice_label(self, label=None):
        """``label`` (the call's name by default, or the name of something of the call, e.g. a budget
        envelope) followed by "(provisional)" when the call is provisional: for a form's choices, where the
        badge of the pages (``{% provisional_badge %}``) cannot be shown."""
        label = str(self) if label is None else str(label)
        if self.provisional:
            return _("%(name)s (provisional)") % {"name": label}
        return label

    def clean(self):
        validate_call(self)

    # -- helpers ---------------------------------------------------------------------------
    def is_open(self, now):
        return now < self.deadline

    @property
    def lump_sums(self):
        return [Decimal(str(v)).quantize(Decimal("0.01")) for v in self.lump_sum_options]

    @property
    def start_window(self):
        return (self.start_earliest, self.start_latest)


class BudgetEnvelope(AuditedModel):
    """The money an agency may award in one call and sector (e.g. LV01, 2026 KA210, VET)."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="envelopes")
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="envelopes")
    sector = models.CharField(_("sector"), max_length=3, choices=Sector.choices, blank=True)
    amount = MoneyField(_("amount (EUR)"))
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["agency__code", "call__year", "call__action__code", "sector"]
        verbose_name = _("budget envelope")
        verbose_name_plural = _("budget envelopes")
        constraints = [models.UniqueConstraint(fields=["agency", "call", "sector"], name="uniq_envelope")]

    def __str__(self):
        return f"{self.agency.code} {self.call} {self.sector}".strip()

    @property
    def audit_agency_code(self):
        return self.agency.code

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("The amount must not be negative.")
        if self.sector and self.call_id and self.sector not in self.call.action.sectors:
            errors["sector"] = _("This call's action has no such sector.")
        if errors:
            raise ValidationError(errors)


class Priority(BilingualName, AuditedModel):
    """A programme priority: horizontal (sector empty) or of one sector."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    sector = models.CharField(_("sector"), max_length=3, choices=Sector.choices, blank=True,
                              help_text=_("Empty for horizontal priorities."))
    name_en = models.CharField(_("name (English)"), max_length=255)
    name_lv = models.CharField(_("name (Latvian)"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["sector", "position", "code"]
        verbose_name = _("priority")
        verbose_name_plural = _("priorities")

    def __str__(self):
        return self.name_en


    @property
    def is_horizontal(self):
        return not self.sector


class Topic(BilingualName, AuditedModel):
    """A topic an application may pick (KA220: up to 3)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255)
    name_lv = models.CharField(_("name (Latvian)"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name_en


class FigureCheck(AuditedModel):
    """An agency administrator's confirmation or correction of a call figure the data marks "verify".

    The figures to verify are those whose ``Call.sources`` entry says "verify" (see
    :mod:`eplus.programme.verification`); each decision is one row (who, when, the value before and
    after), audited like every change. A correction also changes the call's figure itself.
    """

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="figure_checks")
    figure = models.CharField(_("figure"), max_length=80, help_text=_("The figure's key in the call's sources."))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    previous_value = models.JSONField(_("value before"), null=True, blank=True)
    value = models.JSONField(_("value confirmed or set"), null=True, blank=True)
    reason = models.TextField(_("reason or reference"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"))

    audit_status_field = "outcome"

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("figure check")
        verbose_name_plural = _("figure checks")
        indexes = [models.Index(fields=["call", "figure", "-decided_at"])]

    def __str__(self):
        return f"{self.call} {self.figure}: {self.get_outcome_display()}"

