"""The organisations of an application: partners and associated partners are added by their OID (their
data comes from their registration, never retyped) and removed, under the application's row lock."""

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from eplus.organisations.models import Organisation
from eplus.organisations.standing import check_may_take_part
from eplus.programme.identifiers import is_pic, normalise_oid

from .errors import ApplicationError
from .models import ParticipantRole, Participation
from .sections import bump_section, locked_change, may_change


def add_participant(application, oid, role, user):
    """Add an organisation by its OID; its data comes from its registration, never retyped."""
    may_change(application, user)
    if role not in (ParticipantRole.PARTNER, ParticipantRole.ASSOCIATED_PARTNER):
        raise ValidationError({"role": [_("Choose partner or associated partner.")]})
    oid = normalise_oid(oid)
    organisation = Organisation.objects.filter(oid=oid).select_related("country").first()
    if organisation is None and application.action.is_centralised and is_pic(oid):
        # Centralised actions identify organisations by their PIC (DOMAIN §2); the OID works too.
        organisation = Organisation.objects.filter(pic=oid).select_related("country").first()
    if organisation is None:
        raise ValidationError({"oid": [_("No organisation has the OID %(oid)s. Check the OID with the partner; "
                                         "it must have registered first.") % {"oid": oid}]})
    check_may_take_part(organisation, application.call, role, application.sector or None,
                        own=organisation.memberships.filter(user=user).exists())
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

