"""Organisation status transitions: under validation → certified, or → rejected with a reason.

One function per transition: validate, save (audited, with a verb), notify the members by e-mail.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as

from .models import Organisation
from .rules import is_country_agency_staff
from .members import notify_members

Status = Organisation.Status


class TransitionError(Exception):
    """The transition is not possible from the current status; ``str(exc)`` is the user's message."""


def _check(organisation, officer):
    if not is_country_agency_staff(officer, organisation):
        raise PermissionDenied("not staff of the organisation's national agency")
    if organisation.status != Status.UNDER_VALIDATION:
        raise TransitionError(
            _("This organisation has already been decided on: it is %(status)s.") % {"status": organisation.get_status_display()}
        )


def certify(organisation, officer, now=None):
    with acting_as(officer), transaction.atomic():
        organisation = Organisation.objects.select_for_update().select_related("country").get(pk=organisation.pk)
        _check(organisation, officer)
        organisation.status = Status.CERTIFIED
        organisation.status_reason = ""
        organisation.validated_at = now or timezone.now()
        organisation.validated_by = officer
        organisation.save(audit_verb="certify")
    notify_members(organisation, "certified")
    return organisation


def reject(organisation, officer, reason, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the rejection: the organisation will read it.")]})
    with acting_as(officer), transaction.atomic():
        organisation = Organisation.objects.select_for_update().select_related("country").get(pk=organisation.pk)
        _check(organisation, officer)
        organisation.status = Status.REJECTED
        organisation.status_reason = reason
        organisation.validated_at = now or timezone.now()
        organisation.validated_by = officer
        organisation.save(audit_verb="reject", audit_reason=reason)
    notify_members(organisation, "rejected", {"reason": reason})
    return organisation
