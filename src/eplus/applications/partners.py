"""The organisations of an application: partners and associated partners are added by their OID (their
data comes from their registration, never retyped) and removed, under the application's row lock."""

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from eplus.organisations.models import Organisation

from .errors import ApplicationError
from .models import ParticipantRole, Participation
from .sections import bump_section, locked_change, may_change


def add_participant(application, oid, role, user):
    """Add an organisation by its OID; its data comes from its registration, never retyped."""
    may_change(application, user)
    if role not in (ParticipantRole.PARTNER, ParticipantRole.ASSOCIATED_PARTNER):
        raise ValidationError({"role": [_("Choose partner or associated partner.")]})
    oid = (oid or "").strip().upper()
    organisation = Organisation.objects.filter(oid=oid).select_related("country").first()
    if organisation is None:
        raise ValidationError({"oid": [_("No organisation has the OID %(oid)s. Check the OID with the partner; "
                                         "it must have registered first.") % {"oid": oid}]})
    with locked_change(application, user):
        if application.participations.filter(organisation=organisation).exists():
            raise ValidationError({"oid": [_("%(name)s already takes part in this application.")
                                           % {"name": organisation.legal_name}]})
        order = (application.participations.aggregate(m=Max("order"))["m"] or 0) + 1
        participation = Participation(application=application, organisation=organisation, role=role, order=order)
        participation.save(audit_verb="add-participant")
        bump_section(application, "organisations", user, f"add {oid}")
    return participation


def remove_participant(application, participation, user):
    may_change(application, user)
    if participation.role == ParticipantRole.APPLICANT:
        raise ApplicationError(_("The applicant organisation cannot be removed."))
    with locked_change(application, user):
        if not Participation.objects.filter(pk=participation.pk).exists():
            return  # removed meanwhile (a second click): nothing more to do
        oid = participation.organisation.oid
        participation.delete()
        bump_section(application, "organisations", user, f"remove {oid}")

