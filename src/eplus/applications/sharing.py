"""Sharing a draft with a named person of a participating organisation (view or edit), and taking it
back; both under the application's row lock and idempotent."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.organisations.models import Membership

from .models import AccessLevel, Application, ApplicationAccess
from .rules import forget_levels, require


def share(application, user, level, by):
    """Let a named person of a participating organisation view or edit the draft."""
    require(by, "applications.share_application", application)
    if level not in (AccessLevel.VIEW, AccessLevel.EDIT):
        raise ValidationError({"level": [_("Choose view or edit.")]})
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


def unshare(application, access, by):
    require(by, "applications.share_application", application)
    with acting_as(by), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if ApplicationAccess.objects.filter(pk=access.pk).exists():
            access.delete()
    forget_levels(application)
