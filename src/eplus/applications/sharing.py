"""Sharing a draft with a named person of a participating organisation (view or edit), and taking it
back; both under the application's row lock and idempotent. A share is sent as an invitation to an
e-mail address (:func:`invite`), whether or not the address has an account, and takes effect when its
person accepts it (:func:`accept_invitation`)."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.mail import language_of, queue_templated_mail
from eplus.organisations.models import Membership

from .models import AccessLevel, Application, ApplicationAccess, ShareInvitation
from .rules import forget_levels, require


def _check_level(level):
    if level not in (AccessLevel.VIEW, AccessLevel.EDIT):
        raise ValidationError({"level": [_("Choose view or edit.")]})


def invite(application, email, level, by):
    """Send ``email`` an invitation to view or edit the draft (again with a new level; a second click
    with the same level changes nothing and sends nothing). The answer is the same for every address."""
    require(by, "applications.share_application", application)
    _check_level(level)
    email = email.strip().lower()
    with acting_as(by), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        invitation = ShareInvitation.objects.filter(application=application, email=email).first()
        if invitation is not None and invitation.level == level and invitation.accepted_at is None:
            return invitation
        if invitation is None:
            invitation = ShareInvitation(application=application, email=email)
        invitation.level, invitation.invited_by = level, by
        invitation.token, invitation.accepted_at, invitation.accepted_by = secrets.token_urlsafe(32), None, None
        invitation.save(audit_verb="invite")
        _send_invitation(invitation)
    return invitation


def _send_invitation(invitation):
    by = invitation.invited_by
    person = get_user_model().objects.filter(email__iexact=invitation.email).first()
    language = language_of(person) if person is not None else (translation.get_language() or "en")[:2]
    application = invitation.application
    link = settings.SITE_URL.rstrip("/") + reverse("applications:invitation", args=[invitation.token])
    queue_templated_mail("applications/email/invitation", {
        "invitation": invitation, "application": application, "inviter": by.get_full_name() or by.email,
        "level": AccessLevel(invitation.level).label, "link": link,
        "signup": settings.SITE_URL.rstrip("/") + reverse("account_signup"),
    }, invitation.email, language, related=invitation, agency_code=application.agency.code)


def accept_invitation(invitation, user):
    """Give ``user`` — signed in with the invited address — the invitation's access (once)."""
    if user.email.lower() != invitation.email:
        raise ValidationError(_("This invitation was sent to another e-mail address. Sign in with that address "
                                "to accept it."))
    with acting_as(user), transaction.atomic():
        locked = ShareInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:  # read under the lock: two clicks at once accept it once
            access = ApplicationAccess.objects.filter(application_id=locked.application_id, user=user).first()
            if access is not None:
                return access  # accepted already (a second click)
            raise ValidationError(_("This invitation was already used. Ask for a new one."))
        access = _grant(locked.application, user, locked.level, locked.invited_by)
        locked.accepted_at, locked.accepted_by = clock.now(), user
        locked.save(audit_verb="accept-invitation")
    return access


def share(application, user, level, by):
    """Let a named person of a participating organisation view or edit the draft."""
    require(by, "applications.share_application", application)
    _check_level(level)
    return _grant(application, user, level, by)


def _grant(application, user, level, by):
    organisations = application.participations.values_list("organisation_id", flat=True)
    if not Membership.objects.filter(user=user, organisation_id__in=organisations).exists():
        raise ValidationError({"email": [_(
            "%(email)s does not act for any organisation of this application. Add their organisation as a "
            "partner first, or ask them to join it.") % {"email": user.email}]})
    with acting_as(by), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        access = ApplicationAccess.objects.filter(application=application, user=user).first()
        if access is not None and access.level == level:
            return access  # already shared so (a second click): nothing changes, nothing is recorded
        if access is None:
            access = ApplicationAccess(application=application, user=user)
        access.level, access.granted_by = level, by
        access.save(audit_verb="share")
    forget_levels(application)
    return access


def withdraw_invitation(application, invitation, by):
    require(by, "applications.share_application", application)
    with acting_as(by), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if ShareInvitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).exists():
            invitation.delete()


def unshare(application, access, by):
    require(by, "applications.share_application", application)
    with acting_as(by), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if ApplicationAccess.objects.filter(pk=access.pk).exists():
            access.delete()
    forget_levels(application)
