"""Who may do what with an application (``rules`` predicates) and the matching queryset filters.

- members of the applicant organisation: edit; its legal representatives and contact persons: submit,
  share and withdraw;
- people of partner organisations: only what the application is explicitly shared with them (view/edit);
- staff of the receiving agency: the incident reports (the evaluation app shows the applications).
Lists use :func:`visible_applications`, so a list never shows what the detail page refuses.
"""

import rules
from django.db.models import Exists, OuterRef

from eplus.programme.scoping import staff_agency_ids

from .models import AccessLevel
from .services import has_level


@rules.predicate
def can_view(user, application):
    return has_level(user, application, AccessLevel.VIEW)


@rules.predicate
def can_edit(user, application):
    return has_level(user, application, AccessLevel.EDIT)


@rules.predicate
def can_submit(user, application):
    return has_level(user, application, AccessLevel.SUBMIT)


rules.add_perm("applications.view_application", can_view)
rules.add_perm("applications.change_application", can_edit)
rules.add_perm("applications.submit_application", can_submit)


def visible_applications(user):
    """Applications the user may open: those of organisations they act for, and those shared with them."""
    from eplus.organisations.models import Membership

    from .models import Application, ApplicationAccess

    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    # EXISTS rather than joins + DISTINCT: no duplicate rows to remove, and far cheaper for one application.
    return Application.objects.filter(
        Exists(Membership.objects.filter(organisation_id=OuterRef("applicant_id"), user=user))
        | Exists(ApplicationAccess.objects.filter(application_id=OuterRef("pk"), user=user)))


def agency_incidents(user):
    """Incident reports of the agencies the user works for."""
    from .models import IncidentReport

    ids = staff_agency_ids(user)
    if not ids:
        return IncidentReport.objects.none()
    return IncidentReport.objects.filter(agency_id__in=ids)
