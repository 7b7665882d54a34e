"""Programme reference data: countries, agencies, actions, calls, priorities (DOMAIN §1–6).

Every figure lives here as data (loaded by ``manage load_programme``, edited in the admin), never in
code. Every change is audited (AuditedModel).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from eplus.core.audit import AuditedModel


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

    @property
    def audit_agency_code(self):
        return self.agency.code
