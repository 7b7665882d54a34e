"""A new application: a draft for an open call by a member of the applicant organisation, routed to the
agency of its country, with its applicant and its empty sections."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.organisations.models import Membership
from eplus.organisations.standing import check_may_take_part
from eplus.programme.services import NoAgency, agency_for

from . import forms as section_forms
from .models import Application, ParticipantRole, Participation, Section
from .statuses import refresh_statuses


def create_application(user, organisation, call, sector=None):
    """A new draft for ``call`` by a member of ``organisation``, routed to its agency."""
    if not Membership.objects.filter(organisation=organisation, user=user).exists():
        raise PermissionDenied(_("Only people who act for the applicant organisation can create its applications."))
    now = clock.now()
    if not clock.is_before_deadline(now, call.deadline):
        raise ValidationError({"call": [_("This call is closed; choose an open call.")]})
    action = call.action
    if not sector and len(action.sectors) == 1:
        sector = action.sectors[0]
    if action.sectors and sector not in action.sectors:
        raise ValidationError({"call": [_("Choose a field of this action: %(sectors)s.")
                                        % {"sectors": ", ".join(action.sectors)}]})
    check_may_take_part(organisation, call, ParticipantRole.APPLICANT, sector, field="organisation", own=True)
    try:
        agency = agency_for(organisation.country_id, action, sector)
    except NoAgency as exc:
        raise ValidationError({"organisation": [str(exc)]}) from exc
    with acting_as(user), transaction.atomic():
        application = Application(call=call, action=action, sector=sector or "", agency=agency,
                                  applicant=organisation, created_by=user)
        application.save(audit_verb="create")
        Participation(application=application, organisation=organisation, role=ParticipantRole.APPLICANT,
                      order=0).save(audit_verb="add-participant")
        Section.objects.bulk_create([Section(application=application, key=key)
                                     for key in section_forms.SECTION_KEYS])
    refresh_statuses(application)
    return application

