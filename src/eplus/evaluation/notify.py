"""E-mails to an agency's staff about one of its cases (a request for review, a declined grant): every active
officer and administrator of the agency, each in their own language."""

from eplus.core.mail import language_of, queue_templated_mail
from eplus.programme.models import AgencyMembership

from .models import Case


def tell_agency_staff(case, prefix, context, related):
    """Queue the e-mail ``prefix`` (subject and body templates) to each active staff member of ``case``'s
    agency; the context gets ``case`` and ``application``."""
    case = Case.objects.select_related("application", "agency").get(pk=case.pk)
    staff = (AgencyMembership.objects.filter(agency_id=case.agency_id, role__in=AgencyMembership.STAFF_ROLES,
                                             active=True, user__is_active=True)
             .exclude(user__email="").select_related("user").order_by("pk"))
    for member in staff:
        queue_templated_mail(prefix, {**context, "case": case, "application": case.application},
                             member.user.email, language_of(member.user), related=related,
                             agency_code=case.agency.code)
