"""An organisation's PIC (participant identification code, DOMAIN §2): 9 digits, recorded beside its OID
by the people who manage the organisation, used by the centralised actions of the executive agency."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.programme.identifiers import validate_pic

from .models import Organisation


def set_pic(organisation, value, user):
    """Record (or, with an empty value, remove) the organisation's PIC; audited. Returns the organisation.

    Raises ValidationError({"pic": [message]}) for a PIC that is not 9 digits or that another
    organisation already recorded.
    """
    pic = ""
    if (value or "").strip():
        try:
            pic = validate_pic(value)
        except ValidationError as exc:
            raise ValidationError({"pic": exc.messages}) from exc
    with acting_as(user), transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.pic == pic:
            return organisation
        if pic and Organisation.objects.filter(pic=pic).exclude(pk=organisation.pk).exists():
            raise ValidationError({"pic": [_(
                "Another organisation has already recorded the PIC %(pic)s. Check the number; if it is yours, "
                "ask your national agency to sort it out.") % {"pic": pic}]})
        organisation.pic = pic
        organisation.save(audit_verb="set-pic" if pic else "remove-pic")
    return organisation
