"""Programme reference data: countries, agencies, actions, calls, priorities (DOMAIN §1–6).

Every figure lives here as data (loaded by ``manage load_programme``, edited in the admin), never in
code. Every change is audited (AuditedModel).
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel
from eplus.core.money import MoneyField


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

    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
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


class Sector(models.TextChoices):
    """Fields of education, training and youth (codes as in project numbers, e.g. KA220-VET)."""

    SCH = "SCH", _("School education")
    VET = "VET", _("Vocational education and training")
    HED = "HED", _("Higher education")
    ADU = "ADU", _("Adult education")
    YOU = "YOU", _("Youth")


SECTOR_CODES = frozenset(Sector.values)


class FundingModel(models.TextChoices):
    LUMP_SUM_OPTIONS = "lump-sum-options", _("Lump sum: one of fixed amounts")
    LUMP_SUM_MAXIMUM = "lump-sum-maximum", _("Lump sum up to a maximum")
    ACTUAL_COSTS_MAXIMUM = "actual-costs-maximum", _("Actual costs up to a maximum")


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


def _money_text(value, what):
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(_("%(what)s must be an amount in euros, such as 30000.00.") % {"what": what}) from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("%(what)s must be a positive amount in euros with at most two decimals.") % {"what": what})
    return amount


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


def _require_keys(data, keys, field, label):
    if not isinstance(data, dict):
        raise ValidationError({field: _("%(label)s must be a JSON object.") % {"label": label}})
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValidationError({field: _("%(label)s is missing: %(keys)s.") % {"label": label, "keys": ", ".join(missing)}})


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

    class Meta:
        ordering = ["deadline", "action__code", "round"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [models.UniqueConstraint(fields=["year", "action", "round"], name="uniq_call_year_action_round")]

    def __str__(self):
        return f"{self.year} {self.action.code} round {self.round}"

    # -- validation ------------------------------------------------------------------------
    def clean(self):
        errors = {}

        def check(field, fn):
            try:
                fn()
            except ValidationError as exc:
                messages = exc.message_dict.get(field) if hasattr(exc, "error_dict") else exc.messages
                errors.setdefault(field, []).extend(messages)

        check("lump_sum_options", self._clean_funding)
        check("duration_max_months", self._clean_dates_and_durations)
        check("composition", self._clean_composition)
        check("organisation_limits", self._clean_limits)
        check("structure", self._clean_structure)
        check("award_criteria", self._clean_award)
        check("payment_schedule", self._clean_payments)
        check("reduction_bands", self._clean_bands)
        check("lots", self._clean_lots)
        for name in ("other_rules", "sources"):
            if not isinstance(getattr(self, name), dict):
                errors.setdefault(name, []).append(_("This must be a JSON object."))
        if errors:
            raise ValidationError(errors)

    def _clean_funding(self):
        if not isinstance(self.lump_sum_options, list):
            raise ValidationError(_("Lump sum options must be a list of amounts."))
        for value in self.lump_sum_options:
            _money_text(value, _("Each lump sum option"))
        if self.funding_model == FundingModel.LUMP_SUM_OPTIONS and not self.lump_sum_options:
            raise ValidationError(_("A call funded by fixed lump sums needs at least one lump sum option."))
        if self.funding_model != FundingModel.LUMP_SUM_OPTIONS and self.lump_sum_options:
            raise ValidationError(_("Only calls funded by fixed lump sums have lump sum options; use the maximum grant or lots instead."))
        if (self.funding_model != FundingModel.LUMP_SUM_OPTIONS and self.grant_maximum is None
                and not self.lots):
            raise ValidationError(_("A call funded up to a maximum needs a maximum grant or lots with maxima."))

    def _clean_dates_and_durations(self):
        if self.start_earliest and self.start_latest and self.start_earliest > self.start_latest:
            raise ValidationError(_("The earliest project start must not be after the latest project start."))
        if (self.duration_min_months is not None and self.duration_max_months is not None
                and self.duration_min_months > self.duration_max_months):
            raise ValidationError(_("The minimum duration must not be longer than the maximum duration."))

    def _clean_composition(self):
        if not self.composition:
            return
        _require_keys(self.composition, ["min_organisations", "min_countries"], "composition", _("Composition rules"))
        third = self.composition.get("third_countries", {})
        if not isinstance(third, dict):
            raise ValidationError(_("Composition rules: third_countries must be a JSON object."))
        regions = third.get("regions", [])
        if not isinstance(regions, list) or any(not isinstance(r, int) or not 1 <= r <= 14 for r in regions):
            raise ValidationError(_("Composition rules: third-country regions must be numbers from 1 to 14."))

    def _clean_limits(self):
        if not isinstance(self.organisation_limits, dict):
            raise ValidationError(_("Limits per organisation must be a JSON object."))
        for key, value in self.organisation_limits.items():
            if key.startswith("max_") and value is not None and (not isinstance(value, int) or value < 1):
                raise ValidationError(_("Limit %(key)s must be a whole number of at least 1.") % {"key": key})

    def _clean_structure(self):
        if not self.structure:
            return
        _require_keys(self.structure, ["kind"], "structure", _("Structure rules"))
        kind = self.structure["kind"]
        if kind == "activities":
            _require_keys(self.structure, ["min_activities"], "structure", _("Structure rules"))
        elif kind == "work-packages":
            _require_keys(self.structure, ["management_max_percent", "min_further", "max_further"],
                          "structure", _("Structure rules"))
            if self.structure["min_further"] > self.structure["max_further"]:
                raise ValidationError(_("Structure rules: min_further must not exceed max_further."))
        else:
            raise ValidationError(_("Structure rules: kind must be \"activities\" or \"work-packages\"."))

    def _clean_award(self):
        if not isinstance(self.award_criteria, list):
            raise ValidationError(_("Award criteria must be a list."))
        codes = set()
        for item in self.award_criteria:
            if not isinstance(item, dict) or not {"code", "name_en", "max_points"} <= set(item):
                raise ValidationError(_("Each award criterion needs code, name_en and max_points."))
            if item["code"] in codes:
                raise ValidationError(_("Award criterion %(code)s is listed twice.") % {"code": item["code"]})
            codes.add(item["code"])
        if self.award_criteria:
            total = sum(Decimal(str(i["max_points"])) for i in self.award_criteria)
            if total != 100:
                raise ValidationError(_("The award criteria maxima must add up to 100 points (now %(total)s).") % {"total": total})
            if self.award_total_threshold is None or self.award_criterion_threshold_share is None:
                raise ValidationError(_("Award criteria need a minimum total score and a minimum share per criterion."))

    def _clean_payments(self):
        if not isinstance(self.payment_schedule, list):
            raise ValidationError(_("The payment schedule must be a list of instalments."))
        if not self.payment_schedule:
            return
        for item in self.payment_schedule:
            if not isinstance(item, dict) or not {"code", "percent"} <= set(item):
                raise ValidationError(_("Each instalment needs a code and a percent."))
        total = sum(Decimal(str(i["percent"])) for i in self.payment_schedule)
        if total != 100:
            raise ValidationError(_("The instalments must add up to 100 %% (now %(total)s %%).") % {"total": total})

    def _clean_bands(self):
        if not isinstance(self.reduction_bands, list):
            raise ValidationError(_("Reduction bands must be a list."))
        for band in self.reduction_bands:
            if not isinstance(band, dict) or not {"min_score", "reduction_percent"} <= set(band):
                raise ValidationError(_("Each reduction band needs min_score and reduction_percent."))
        mins = [Decimal(str(b["min_score"])) for b in self.reduction_bands]
        if mins != sorted(mins, reverse=True):
            raise ValidationError(_("Reduction bands must be listed from the highest score down."))

    def _clean_lots(self):
        if not isinstance(self.lots, list):
            raise ValidationError(_("Lots must be a list."))
        for lot in self.lots:
            if not isinstance(lot, dict) or not {"code", "name_en"} <= set(lot):
                raise ValidationError(_("Each lot needs a code and name_en."))
            if lot.get("grant_maximum") is not None:
                _money_text(lot["grant_maximum"], _("The maximum grant of a lot"))

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

