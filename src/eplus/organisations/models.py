"""Organisations (DOMAIN §3): registration drafts, organisations with their OID, members, invitations."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eplus.core.audit import AuditedModel, TimeStampedModel


class OrganisationType(models.TextChoices):
    SCHOOL = "school", _("School")
    SCHOOL_AUTHORITY = "school-authority", _("Local or regional school authority")
    SCHOOL_COORDINATING_BODY = "school-coordinating-body", _("School coordinating body")
    VET_PROVIDER = "vet-provider", _("Vocational education and training provider")
    HIGHER_EDUCATION = "higher-education", _("Higher education institution")
    ADULT_EDUCATION = "adult-education", _("Adult education organisation")
    YOUTH_ORGANISATION = "youth-organisation", _("Youth organisation")
    NGO = "ngo", _("Non-governmental organisation")
    PUBLIC_BODY = "public-body", _("Public body")
    ENTERPRISE = "enterprise", _("Enterprise")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal-representative", _("Legal representative")
    CONTACT_PERSON = "contact-person", _("Contact person")
    MEMBER = "member", _("Member")


MANAGER_ROLES = (Role.LEGAL_REPRESENTATIVE, Role.CONTACT_PERSON)


class IssuedOID(models.Model):
    """Every OID ever issued, kept for good so that an OID is never issued twice.

    Rows are never deleted (not even when the organisation is), and the primary key is the OID
    itself, so the database's unique constraint is what guarantees uniqueness, also under concurrent
    registrations. See :func:`eplus.organisations.registration.issue_oid`.
    """

    oid = models.CharField(_("OID"), max_length=9, primary_key=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("issued OID")
        verbose_name_plural = _("issued OIDs")

    def __str__(self):
        return self.oid


class Organisation(AuditedModel, TimeStampedModel):
    class Status(models.TextChoices):
        UNDER_VALIDATION = "under-validation", _("Under validation")
        CERTIFIED = "certified", _("Certified")
        REJECTED = "rejected", pgettext_lazy("organisation status", "Rejected")

    oid = models.CharField(_("organisation ID (OID)"), max_length=9, unique=True)
    pic = models.CharField(
        _("participant identification code (PIC)"), max_length=9, blank=True,
        help_text=_("9 digits; used by the centralised actions managed by the executive agency."),
    )
    legal_name = models.CharField(_("legal name"), max_length=255)
    business_name = models.CharField(_("business name"), max_length=255, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=100)
    organisation_type = models.CharField(_("organisation type"), max_length=32, choices=OrganisationType.choices)
    is_public = models.BooleanField(_("public body"), default=False)
    non_profit = models.BooleanField(_("non-profit"), default=False)
    date_established = models.DateField(_("date of establishment"))
    country = models.ForeignKey(
        "programme.Country", verbose_name=_("country"), on_delete=models.PROTECT, related_name="organisations"
    )
    street = models.CharField(_("street and number"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=16)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=40, db_index=True)
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True, db_index=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail of the organisation"))
    phone = models.CharField(_("phone of the organisation"), max_length=40)
    contact_name = models.CharField(_("contact person's name"), max_length=200)
    contact_email = models.EmailField(_("contact person's e-mail"))
    contact_phone = models.CharField(_("contact person's phone"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNDER_VALIDATION)
    status_reason = models.TextField(_("reason for the decision"), blank=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("validated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["country", "registration_number"]), models.Index(fields=["status"])]
        constraints = [
            models.UniqueConstraint(fields=["pic"], condition=~models.Q(pic=""), name="uniq_organisation_pic"),
        ]

    def __str__(self):
        return f"{self.legal_name} ({self.oid})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("organisations:detail", args=[self.oid])

    @property
    def audit_agency_code(self):
        # The national agency of the organisation's country (the first, when a country has several).
        from eplus.programme.models import Agency

        return (
            Agency.objects.filter(country_id=self.country_id).order_by("code").values_list("code", flat=True).first()
            or ""
        )


class Membership(AuditedModel, TimeStampedModel):
    """A person acting for an organisation with one role. A person may act for several organisations."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="organisation_memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    audit_status_field = "role"

    class Meta:
        ordering = ["organisation__legal_name", "user__last_name"]
        verbose_name = _("organisation member")
        verbose_name_plural = _("organisation members")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="uniq_organisation_member")]

    def __str__(self):
        return f"{self.user} — {self.organisation.oid} ({self.get_role_display()})"


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(AuditedModel, TimeStampedModel):
    """An e-mail invitation to act for an organisation. Only the SHA-256 of the link's token is stored."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation.oid}"

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at


class RegistrationDraft(TimeStampedModel):
    """A registration in progress: the values typed so far, per step, exactly as typed.

    Kept for ``settings.ORGANISATION_DRAFT_RETENTION_DAYS`` after its last edit (``updated_at``),
    then purged by ``./run manage sweep``. Drafts are personal scratch data, not records of the
    organisation, so they are not written to the audit trail; completing one is.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="organisation_drafts"
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    current_step = models.CharField(_("current step"), max_length=20, default="identity")

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("registration draft")
        verbose_name_plural = _("registration drafts")

    def __str__(self):
        return self.display_name or str(_("New organisation"))

    @property
    def display_name(self):
        return (self.data.get("identity") or {}).get("legal_name", "")
