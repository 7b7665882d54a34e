"""Registering an organisation: the wizard's drafts, OID issuance, validation and completion."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.programme.models import Country

from . import validators
from .models import MANAGER_ROLES, IssuedOID, Membership, Organisation, RegistrationDraft, Role
from .queries import find_duplicates


class DuplicateOrganisation(Exception):
    """Likely duplicates exist and the user has not confirmed that theirs is a different one."""

    def __init__(self, duplicates):
        super().__init__("likely duplicate organisations")
        self.duplicates = duplicates


# --- registration drafts -------------------------------------------------------------------------

def draft_cutoff(now=None):
    return (now or timezone.now()) - timedelta(days=settings.ORGANISATION_DRAFT_RETENTION_DAYS)


def drafts_for(user, now=None):
    """A person's registrations in progress that can still be resumed."""
    return RegistrationDraft.objects.filter(owner=user, updated_at__gte=draft_cutoff(now)).order_by("-updated_at")


def draft_expires_at(draft):
    return draft.updated_at + timedelta(days=settings.ORGANISATION_DRAFT_RETENTION_DAYS)


def save_draft_step(draft, owner, step, values, current_step=None):
    """Store what was typed on one step (exactly as typed) and where the user is; creates the draft."""
    if draft is None:
        draft = RegistrationDraft(owner=owner, data={})
    data = dict(draft.data or {})
    data[step] = {key: ("" if value is None else str(value)) for key, value in values.items()}
    draft.data = data
    draft.current_step = current_step or step
    draft.save()
    return draft


def purge_expired_drafts(now=None):
    """Delete drafts not edited for the retention period; returns how many. Idempotent."""
    deleted, _per_model = RegistrationDraft.objects.filter(updated_at__lt=draft_cutoff(now)).delete()
    return deleted


# --- OID issuance --------------------------------------------------------------------------------

_random = secrets.SystemRandom()
OID_ATTEMPTS = 50


def new_oid_candidate():
    return f"E{_random.randint(10_000_000, 99_999_999)}"


def issue_oid(candidate=None, attempts=OID_ATTEMPTS):
    """Issue a new OID: ``E`` + 8 digits, unique, never reused.

    Design: a random candidate is inserted into :class:`IssuedOID`, whose primary key is the OID,
    inside a savepoint. The database's unique constraint decides: if another registration (even a
    concurrent one, in another transaction) holds the same OID, the insert fails, the savepoint is
    rolled back and a new candidate is drawn. ``IssuedOID`` rows are never deleted, so an OID of a
    deleted organisation is never issued again. Random rather than sequential OIDs do not reveal how
    many organisations exist and need no global lock or sequence shared by all registrations.
    """
    candidate = candidate or new_oid_candidate
    for _attempt in range(attempts):
        oid = candidate()
        try:
            with transaction.atomic():
                IssuedOID.objects.create(oid=oid)
        except IntegrityError:
            continue
        return oid
    raise RuntimeError("could not issue a unique OID")  # 50 collisions in a row: the space is full


# --- registration --------------------------------------------------------------------------------

REQUIRED_FIELDS = (
    "legal_name", "legal_form", "organisation_type", "date_established", "country", "street", "postcode",
    "city", "registration_number", "email", "phone", "contact_name", "contact_email",
)


def validate_registration(fields):
    """Check and normalise the organisation's fields; raises ValidationError({field: [message]})."""
    data = dict(fields)
    errors = {}
    for name in REQUIRED_FIELDS:
        if not data.get(name):
            errors[name] = [_("This field is required.")]
    country = data.get("country")
    if isinstance(country, str):
        country = Country.objects.filter(pk=country.upper()).first()
        if country is None:
            errors["country"] = [_("Choose the country from the list.")]
        data["country"] = country
    code = country.pk if country is not None else ""
    checks = (
        ("registration_number", lambda v: validators.validate_registration_number(v, code)),
        ("vat_number", lambda v: validators.validate_vat_number(v, code)),
        ("postcode", lambda v: validators.validate_postcode(v, code)),
        ("website", validators.validate_website),
    )
    for name, check in checks:
        if data.get(name) and code and name not in errors:
            try:
                data[name] = check(data[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return data


def complete_registration(user, fields, *, registrant_role=Role.LEGAL_REPRESENTATIVE, confirm_different=False, draft=None):
    """Create the organisation (under validation), issue its OID, make the user a member.

    ``fields`` are the organisation's model fields (``country`` as a Country or its code). Raises
    ValidationError for invalid data and DuplicateOrganisation when likely duplicates exist and
    ``confirm_different`` is false. The draft, if given, is deleted.
    """
    if registrant_role not in MANAGER_ROLES:
        raise ValidationError({"registrant_role": [_("Choose whether you are the legal representative or the contact person.")]})
    data = validate_registration(fields)
    duplicates = find_duplicates(data["country"].pk, data["registration_number"], data["legal_name"])
    if duplicates and not confirm_different:
        raise DuplicateOrganisation(duplicates)
    allowed = {f.name for f in Organisation._meta.concrete_fields} - {
        "id", "oid", "status", "status_reason", "validated_at", "validated_by", "created_by", "created_at", "updated_at",
    }
    with acting_as(user), transaction.atomic():
        organisation = Organisation(
            oid=issue_oid(), created_by=user, **{k: v for k, v in data.items() if k in allowed}
        )
        organisation.save(
            audit_verb="register",
            audit_reason=_("Registered although similar organisations exist.") if duplicates else "",
        )
        Membership(organisation=organisation, user=user, role=registrant_role).save(audit_verb="register")
        if draft is not None and draft.pk:
            draft.delete()
    return organisation
