from django.db.models import Exists, OuterRef

from eplus.accounts.models import User
from eplus.applications.models import ApplicationAccess
from eplus.organisations.models import Membership
from eplus.programme.scoping import agency_roles, is_agency_staff
from eplus.projects.models import ProjectAccess


def _acts_as_applicant(user):
    """Whether the person uses the applicant's pages. Everyone without an agency role does (a new account
    registers its organisation there): no query. Agency staff and experts do when they act for an organisation
    or were given access to an application or project: one query, cached on the user for the request."""
    if not agency_roles(user):
        return True
    cached = getattr(user, "_eplus_acts_as_applicant", None)
    if cached is None:
        cached = (User.objects.filter(pk=user.pk)
                  .filter(Exists(Membership.objects.filter(user=OuterRef("pk")))
                          | Exists(ApplicationAccess.objects.filter(user=OuterRef("pk")))
                          | Exists(ProjectAccess.objects.filter(user=OuterRef("pk"))))
                  .exists())
        user._eplus_acts_as_applicant = cached
    return cached


def navigation(request):
    """Which parts of the navigation the current user sees: only what their roles use."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_is_agency_staff": False, "nav_is_expert": False, "nav_is_admin": False,
                "nav_is_applicant": False, "nav_agency_bar": False}
    staff = is_agency_staff(user)
    applicant = _acts_as_applicant(user)
    return {
        "nav_is_agency_staff": staff,
        "nav_is_expert": getattr(user, "is_expert", False),
        "nav_is_admin": user.is_staff,
        "nav_is_applicant": applicant,
        # Staff who also act for an organisation: the agency's pages get a band of their own under the header.
        "nav_agency_bar": staff and applicant,
    }
