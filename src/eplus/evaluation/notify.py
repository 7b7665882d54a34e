"""E-mails to an agency's staff about one of its cases (a request for review, a declined grant): every active
officer and administrator of the agency, each in their own language."""

from eplus.core.mail import language_of, queue_templated_mail
from eplus.programme.scoping import agency_staff

from .models import Case


def tell_agency_staff(case, prefix, context, related):
    """Queue the e-mail ``prefix`` (subject and body templates) to each active staff member of ``case``'s
    agency; the context gets ``case`` and ``application``."""
    case = Case.objects.select_related("application", "agency").get(pk=case.pk)
    for user in agency_staff(case.agency_id):
        if not (user.is_active and user.email):
            continue
        queue_templated_mail(prefix, {**context, "case": case, "application": case.application},
                             user.email, language_of(user), related=related, agency_code=case.agency.code)
