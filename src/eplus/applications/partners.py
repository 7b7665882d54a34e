"""The organisations of an application: partners and associated partners are added by their OID (their
data comes from their registration, never retyped) and removed, under the application's row lock."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.organisations.models import Organisation

from .errors import ApplicationError
from .models import Application, ParticipantRole, Participation
from .rules import require, require_open
from .sections import bump_section
from .statuses import refresh_statuses


def add_participant(application, oid, role, user):
    """Add an organisation by its OID; its data comes from its registration, never retyped."""
    require(user, "applications.change_application", application)
    require_open(application)
    if role not in (ParticipantRole.PARTNER, ParticipantRole.ASSOCIATED_PARTNER):
        raise ValidationError({"role": [_("Choose partner or associated partner.")]})
    oid = (oid or "").strip().upper()
    organisation = Organisation.objects.filter(oid=oid).select_related("country").first()
    if organisation is None:
        raise ValidationError({"oid": [_("No organisation has the OID %(oid)s. Check the OID with the partner; "
                                         "it must have registered first.") % {"oid": oid}]})
    with acting_as(user), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if application.participations.filter(organisation=organisation).exists():
            raise ValidationError({"oid": [_("%(name)s already takes part in this application.")
                                           % {"name": organisation.legal_name}]})
        order = (application.participations.aggregate(m=Max("order"))["m"] or 0) + 1
        participation = Participation(application=application, organisation=organisation, role=role, order=order)
        participation.save(audit_verb="add-participant")
        bump_section(application, "organisations", user, f"add {oid}")
    refresh_statuses(application)
    return participation


def remove_participant(application, participation, user):
    require(user, "applications.change_application", application)
    require_open(application)
    if participation.role == ParticipantRole.APPLICANT:
        raise ApplicationError(_("The applicant organisation cannot be removed."))
    with acting_as(user), transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if not Participation.objects.filter(pk=participation.pk).exists():
            return  # removed meanwhile (a second click): nothing more to do
        oid = participation.organisation.oid
        participation.delete()
        bump_section(application, "organisations", user, f"remove {oid}")
    refresh_statuses(application)

