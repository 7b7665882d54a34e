"""Members of an organisation: invitations by e-mail, accepting them, roles, removal, and the members' e-mail.

The views check the organisations permissions first (rules.py); these functions keep the
organisation's invariants (one legal representative at least) under a lock on the organisation.
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.core.mail import queue_templated_mail

from .models import Invitation, Membership, Organisation, Role, hash_token

logger = logging.getLogger(__name__)


class InvitationError(Exception):
    """An invitation link that cannot be used; ``str(exc)`` is the message for the user."""


class MembershipError(Exception):
    """A member change that is not allowed; ``str(exc)`` is the message for the user."""


def _send(template, recipient_email, context, language=None):
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    queue_templated_mail(f"organisations/email/{template}", context, recipient_email, language,
                         related=context.get("organisation"))


def _language_for_email(email, fallback=None):
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
        if membership.role == role:
            return membership  # already so: a second identical request changes nothing
        if role != Role.LEGAL_REPRESENTATIVE and _is_last_legal_representative(membership):
            raise MembershipError(_("An organisation needs at least one legal representative. Give another member that role first."))
        membership.role = role
        membership.save(audit_verb="change-role")
    return membership


def remove_member(membership, by):
    with acting_as(by), transaction.atomic():
        _lock(membership.organisation)
        membership = Membership.objects.filter(pk=membership.pk).first()
        if membership is None:
            return  # already removed (a second click, a parallel request)
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
