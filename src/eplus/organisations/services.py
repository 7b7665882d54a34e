"""The verbs of organisations: search, registration drafts, OID issuance, registration, members.

Views and the API call these; they validate, save (audited), and send e-mails.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process, utils

from eplus.core.audit import acting_as
from eplus.core.mail import send_templated_mail

from . import validators
from .models import (
    MANAGER_ROLES,
    Invitation,
    IssuedOID,
    Membership,
    Organisation,
    RegistrationDraft,
    Role,
    hash_token,
)

logger = logging.getLogger(__name__)

# Fuzzy name search: rapidfuzz WRatio (0–100) at or above this is a hit.
SEARCH_NAME_CUTOFF = 80
# Same country and a token-sorted name similarity at or above this is a likely duplicate.
DUPLICATE_NAME_CUTOFF = 90
SEARCH_LIMIT = 50


class DuplicateOrganisation(Exception):
    """Likely duplicates exist and the user has not confirmed that theirs is a different one."""

    def __init__(self, duplicates):
        super().__init__("likely duplicate organisations")
        self.duplicates = duplicates


class InvitationError(Exception):
    """An invitation link that cannot be used; ``str(exc)`` is the message for the user."""


class MembershipError(Exception):
    """A member change that is not allowed; ``str(exc)`` is the message for the user."""


# --- reading -------------------------------------------------------------------------------------

def memberships_for(user):
    """The organisations a person acts for (one query), used by the dashboard and My organisations."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation", "organisation__country")
        .order_by("organisation__legal_name")
    )


def search_organisations(*, name="", country="", oid="", registration_number="", vat_number="", limit=SEARCH_LIMIT):
    """Organisations matching every given criterion; the name is matched fuzzily (rapidfuzz).

    Two queries whatever the number of results: candidate names, then the hits with their country.
    Without any criterion nothing is returned (the public list is never unbounded).
    """
    queryset = Organisation.objects.all()
    given = False
    if country:
        queryset = queryset.filter(country_id=country.upper() if isinstance(country, str) else country.pk)
        given = True
    if oid:
        queryset = queryset.filter(oid=oid.strip().upper())
        given = True
    if registration_number:
        queryset = queryset.filter(registration_number=validators.compact(registration_number))
        given = True
    if vat_number:
        vat = validators.compact(vat_number)
        condition = Q(vat_number=vat)
        if vat.isdigit() and len(vat) >= 6:  # typed without its country prefix
            condition |= Q(vat_number__regex=rf"^[A-Z]{{2}}{vat}$")
        queryset = queryset.filter(condition)
        given = True
    name = (name or "").strip()
    if not given and not name:
        return []
    if not name:
        return list(queryset.select_related("country").order_by("legal_name")[:limit])
    scores = {}
    candidates = list(queryset.values_list("pk", "legal_name", "business_name"))
    for column in (1, 2):
        choices = {row[0]: row[column] for row in candidates if row[column]}
        for _text, score, pk in process.extract(
            name, choices, scorer=fuzz.WRatio, processor=utils.default_process,
            score_cutoff=SEARCH_NAME_CUTOFF, limit=limit,
        ):
            scores[pk] = max(score, scores.get(pk, 0))
    ranked = sorted(scores, key=lambda pk: -scores[pk])[:limit]
    found = Organisation.objects.select_related("country").in_bulk(ranked)
    return [found[pk] for pk in ranked if pk in found]


@dataclass
class Duplicate:
    organisation: Organisation
    reason: str


def find_duplicates(country_code, registration_number="", legal_name="", exclude_pk=None):
    """Likely duplicates: same country and registration number, or a very similar name in the country."""
    if not country_code:
        return []
    queryset = Organisation.objects.filter(country_id=country_code).select_related("country")
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    found = {}
    number = validators.compact(registration_number)
    if number:
        for org in queryset.filter(registration_number=number):
            found[org.pk] = Duplicate(org, _("It has the same registration number in the same country."))
    if legal_name:
        names = {pk: text for pk, text in queryset.values_list("pk", "legal_name") if pk not in found}
        hits = process.extract(
            legal_name, names, scorer=fuzz.token_sort_ratio, processor=utils.default_process,
            score_cutoff=DUPLICATE_NAME_CUTOFF, limit=10,
        )
        if hits:
            for org in queryset.filter(pk__in=[pk for _t, _s, pk in hits]):
                found[org.pk] = Duplicate(org, _("It has a very similar name in the same country."))
    return list(found.values())


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
    from eplus.programme.models import Country

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


# --- members and invitations ---------------------------------------------------------------------

def _send(template, recipient_email, context, language=None):
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    send_templated_mail(f"organisations/email/{template}", context, recipient_email, language)


def _language_for_email(email, fallback=None):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=email).only("email_language").first()
    return user.email_language if user else fallback


def invite_member(organisation, email, role, invited_by, now=None):
    """Invite someone by e-mail to act for the organisation; returns (invitation, raw token)."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a role from the list.")]})
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": [_("This person already acts for the organisation.")]})
    now = now or timezone.now()
    raw = secrets.token_urlsafe(32)
    with acting_as(invited_by):
        invitation = Invitation(
            organisation=organisation, email=email, role=role, token_hash=hash_token(raw), invited_by=invited_by,
            expires_at=now + timedelta(days=settings.ORGANISATION_INVITATION_DAYS),
        )
        invitation.save(audit_verb="invite")
    link = settings.SITE_URL.rstrip("/") + reverse("organisations:accept_invitation", args=[raw])
    _send("invitation", email, {
        "organisation": organisation, "invitation": invitation, "link": link, "inviter": invited_by,
        "role": invitation.get_role_display(),
    }, language=_language_for_email(email, getattr(invited_by, "email_language", None)))
    return invitation, raw


def get_invitation(raw_token, now=None):
    """The invitation of a link, or raise InvitationError with a message saying why it cannot be used."""
    invitation = (
        Invitation.objects.select_related("organisation", "organisation__country", "invited_by")
        .filter(token_hash=hash_token(raw_token or "")).first()
    )
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied the whole link from the e-mail."))
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been used. Ask the organisation's contact person for a new one if you need it."))
    if invitation.is_expired(now):
        raise InvitationError(_("This invitation has expired. Ask the organisation's contact person to invite you again."))
    return invitation


def accept_invitation(raw_token, user, now=None):
    """The logged-in user accepts an invitation and becomes a member with the invited role."""
    now = now or timezone.now()
    with acting_as(user), transaction.atomic():
        invitation = get_invitation(raw_token, now)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationError(_("This invitation has already been used."))
        if Membership.objects.filter(organisation_id=invitation.organisation_id, user=user).exists():
            raise InvitationError(_("You already act for this organisation."))
        reason = ""
        if user.email.lower() != invitation.email.lower():
            reason = f"invited {invitation.email}, accepted by account {user.email}"
            logger.info("organisation invitation %s: %s", invitation.pk, reason)
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(audit_verb="accept", audit_reason=reason)
        membership = Membership(organisation=invitation.organisation, user=user, role=invitation.role)
        membership.save(audit_verb="accept-invitation", audit_reason=reason)
    return membership


def _lock(organisation):
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _is_last_legal_representative(membership):
    if membership.role != Role.LEGAL_REPRESENTATIVE:
        return False
    return not Membership.objects.filter(
        organisation_id=membership.organisation_id, role=Role.LEGAL_REPRESENTATIVE
    ).exclude(pk=membership.pk).exists()


def change_role(membership, role, by):
    if role not in Role.values:
        raise ValidationError({"role": [_("Choose a role from the list.")]})
    with acting_as(by), transaction.atomic():
        _lock(membership.organisation)
        membership = Membership.objects.get(pk=membership.pk)
        if role != Role.LEGAL_REPRESENTATIVE and _is_last_legal_representative(membership):
            raise MembershipError(_("An organisation needs at least one legal representative. Give another member that role first."))
        membership.role = role
        membership.save(audit_verb="change-role")
    return membership


def remove_member(membership, by):
    with acting_as(by), transaction.atomic():
        _lock(membership.organisation)
        membership = Membership.objects.get(pk=membership.pk)
        if _is_last_legal_representative(membership):
            raise MembershipError(_("The last legal representative cannot be removed. Give another member that role first."))
        membership.delete()


def notify_members(organisation, template, extra=None):
    """E-mail every member of the organisation, each in their own e-mail language."""
    members = organisation.memberships.select_related("user")
    for membership in members:
        user = membership.user
        _send(template, user.email, {"organisation": organisation, "user": user, "membership": membership,
                                     "link": settings.SITE_URL.rstrip("/") + organisation.get_absolute_url(),
                                     **(extra or {})}, language=user.email_language)
    return len(members)

