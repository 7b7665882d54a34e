"""Whether an organisation's registration status lets it take part in an application of a call.

- An organisation whose registration the national agency **rejected** takes part in no application,
  in any role (it may register again or ask its agency).
- An organisation **under validation** may apply and be a partner (DOMAIN §3: "applications are
  allowed while under validation") unless the call requires a certified OID for that role: the call's
  data says so per role and sector (``composition.certified_oid``, read through
  :func:`eplus.programme.services.requires_certified_oid`).

KA220-HED: DOMAIN.md says only that applications are allowed while an OID is under validation and is
silent on higher education. We apply the Erasmus+ Programme Guide (2021–2027, Part B, Cooperation
partnerships, "Eligibility criteria"): higher education institutions established in an EU member state
or an associated third country that take part must hold a valid Erasmus Charter for Higher Education
(ECHE), which the national agency checks when it validates the organisation. The calls' data therefore
require, in the HED field, a certified OID of every higher education institution from a programme
country applying or taking part as a full partner (``composition.certified_oid`` of the KA220 calls);
associated partners and institutions of non-associated third countries need none, as in the Guide.

The applications app calls :func:`check_may_take_part` when an application is created (applicant) and
when a partner is added.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from eplus.programme.services import requires_certified_oid

from .models import Organisation

ROLE_NAMES = {
    "applicant": lambda: pgettext("role in an application", "applicant"),
    "partner": lambda: pgettext("role in an application", "partner"),
    "associated-partner": lambda: pgettext("role in an application", "associated partner"),
}


def refusal(organisation, call, role, sector=None, *, own=False):
    """The message why ``organisation`` may not take part in ``call`` as ``role``, or "" when it may.

    ``own``: the person asking acts for the organisation, so the agency's reason is shown to them.
    """
    values = {"name": organisation.legal_name, "oid": organisation.oid,
              "role": ROLE_NAMES.get(role, lambda: role)()}
    if organisation.status == Organisation.Status.REJECTED:
        if own and organisation.status_reason:
            return _("%(name)s (%(oid)s) cannot take part in applications: the national agency rejected its "
                     "registration. Its reason: %(reason)s") % dict(values, reason=organisation.status_reason)
        return _("%(name)s (%(oid)s) cannot take part in applications: the national agency rejected its "
                 "registration. The organisation can ask its national agency why.") % values
    if organisation.status != Organisation.Status.CERTIFIED and requires_certified_oid(
            call, sector, role, organisation.organisation_type, organisation.country_id):
        return _("%(name)s (%(oid)s) cannot take part as %(role)s yet: this call requires an OID certified by "
                 "the national agency for an organisation like it in this role, and its registration is still "
                 "under validation. Ask the national agency to validate it, then try again.") % values
    return ""


def check_may_take_part(organisation, call, role, sector=None, *, field="oid", own=False):
    """Raise ValidationError({field: [message]}) when ``organisation`` may not take part (see :func:`refusal`)."""
    message = refusal(organisation, call, role, sector, own=own)
    if message:
        raise ValidationError({field: [message]}, code="organisation_status")
