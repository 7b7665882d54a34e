"""Who may do what with an application (``rules`` predicates) and, beside them, the queryset filters.

- members of the applicant organisation: edit; its legal representatives and contact persons: submit,
  share and withdraw;
- people of partner organisations: only what the application is explicitly shared with them (view/edit);
- staff of the receiving agency: the incident reports, which they accept or reject (the evaluation app
  shows the applications).
Lists use :func:`visible_applications`, so a list never shows what the detail page refuses. Views
declare these permissions (``core.permissions.permission_required``); the domain modules check the same
ones through :func:`require`.
"""

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.organisations.models import MANAGER_ROLES, Membership
from eplus.programme.scoping import is_agency_staff as _is_agency_staff
from eplus.programme.scoping import staff_agency_ids

from .errors import DeadlineClosed
from .models import LEVEL_RANK, AccessLevel, Application, ApplicationAccess, IncidentReport, IncidentStatus

# --- access levels ------------------------------------------------------------------------------------


def access_level(user, application):
    """'view', 'edit', 'submit' or None: the applicant organisation's managers submit, its members edit;
    anyone else only through an explicit share. Cached on the instance."""
    if not getattr(user, "is_authenticated", False) or application is None:
        return None
    cache = application.__dict__.setdefault("_eplus_levels", {})
    if user.pk not in cache:
        role = Membership.objects.filter(organisation_id=application.applicant_id, user=user) \
            .values_list("role", flat=True).first()
        shared = ApplicationAccess.objects.filter(application=application, user=user) \
            .values_list("level", flat=True).first()
        cache[user.pk] = _level(role, shared)
    return cache[user.pk]


def _level(role, shared):
    """The access level given by a membership ``role`` of the applicant and an explicit share."""
    levels = []
    if role in MANAGER_ROLES:
        levels.append(AccessLevel.SUBMIT)
    elif role:
        levels.append(AccessLevel.EDIT)
    if shared:
        levels.append(AccessLevel(shared))
    return max(levels, key=LEVEL_RANK.get) if levels else None


def openable_application(user, pk):
    """The application ``pk`` if the user may open it (as :func:`visible_applications` decides), with its
    call, action, agency and applicant, else None — in one query: the user's role in the applicant and
    share level come with it and fill the access-level cache (every application page and autosave)."""
    if not getattr(user, "is_authenticated", False):
        return None
    found = Application.objects.select_related("call", "action", "agency", "applicant").annotate(
        eplus_member_role=Subquery(Membership.objects.filter(organisation_id=OuterRef("applicant_id"), user=user)
                                   .values("role")[:1]),
        eplus_shared_level=Subquery(ApplicationAccess.objects.filter(application_id=OuterRef("pk"), user=user)
                                    .values("level")[:1]),
    ).filter(pk=pk).first()
    if found is None:
        return None
    role, shared = found.__dict__.pop("eplus_member_role"), found.__dict__.pop("eplus_shared_level")
    if role is None and shared is None:
        return None
    found.__dict__["_eplus_levels"] = {user.pk: _level(role, shared)}
    return found


def forget_levels(application):
    """Drop the levels cached on ``application`` (after a share changed them)."""
    application.__dict__.pop("_eplus_levels", None)


def has_level(user, application, level):
    current = access_level(user, application)
    return current is not None and LEVEL_RANK[current] >= LEVEL_RANK[level]


def deadline_open(application, now=None):
    """True while the call accepts submissions and changes (the deadline instant itself is closed), or,
    after it, while the window the agency gave by accepting this application's incident report lasts."""
    now = now or clock.now()
    return clock.is_before_deadline(now, application.call.deadline) or late_window(application, now) is not None


def open_late_windows(now=None, **filters):
    """The accepted incident reports whose late-submission window is still open at ``now``: each lets its
    applicant submit after the deadline (filtered by ``filters``, e.g. ``application_id=OuterRef("pk")``)."""
    return IncidentReport.objects.filter(status=IncidentStatus.ACCEPTED, late_until__gt=now or clock.now(),
                                         **filters)


def late_window(application, now=None):
    """The accepted incident report whose late-submission window is open now for this application, or None."""
    if application.pk is None:
        return None
    return open_late_windows(now, application=application).order_by("-late_until").first()


def require_open(application, now=None):
    if not deadline_open(application, now):
        raise DeadlineClosed(_(
            "The deadline of this call was %(deadline)s (Brussels time); the application can no longer be "
            "changed or submitted.") % {"deadline": clock.format_brussels(application.call.deadline)})


def require(user, perm, application):
    """Raise PermissionDenied unless the registered permission ``perm`` holds (the same predicate the
    views declare; no superuser shortcut)."""
    if not rules.has_perm(perm, user, application):
        raise PermissionDenied(_("You do not have access to this application."))


# --- predicates -----------------------------------------------------------------------------------------

@rules.predicate
def can_view(user, application):
    return has_level(user, application, AccessLevel.VIEW)


@rules.predicate
def can_edit(user, application):
    return has_level(user, application, AccessLevel.EDIT)


@rules.predicate
def can_submit(user, application):
    return has_level(user, application, AccessLevel.SUBMIT)


@rules.predicate
def is_open(_user, application):
    return application is not None and deadline_open(application)


can_edit_section = can_edit & is_open
can_share = can_submit
can_withdraw = can_submit
can_report_incident = can_edit


@rules.predicate
def is_agency_staff(user):
    return _is_agency_staff(user)


@rules.predicate
def can_view_incident(user, report):
    """Staff of the report's agency, or anyone who may open the report's application."""
    if report is None:
        return False
    if agency_incidents(user).filter(pk=report.pk).exists():
        return True
    return bool(report.application_id) and visible_applications(user).filter(pk=report.application_id).exists()


@rules.predicate
def can_decide_incident(user, report):
    """Staff of the agency that received the report."""
    return report is not None and agency_incidents(user).filter(pk=report.pk).exists()


rules.add_perm("applications.list_applications", rules.is_authenticated)
rules.add_perm("applications.create_application", rules.is_authenticated)
rules.add_perm("applications.view_application", can_view)
rules.add_perm("applications.change_application", can_edit)
rules.add_perm("applications.edit_section", can_edit_section)
rules.add_perm("applications.submit_application", can_submit)
rules.add_perm("applications.share_application", can_share)
# Whoever holds the link may open the invitation; accepting it checks the address (sharing.accept_invitation).
rules.add_perm("applications.open_invitation", rules.is_authenticated)
rules.add_perm("applications.withdraw_application", can_withdraw)
rules.add_perm("applications.report_incident", can_report_incident)
rules.add_perm("applications.list_agency_incidents", is_agency_staff)
rules.add_perm("applications.view_incident", can_view_incident)
rules.add_perm("applications.decide_incident", can_decide_incident)


# --- what a user may list ----------------------------------------------------------------------------------

def visible_applications(user):
    """Applications the user may open: those of organisations they act for, and those shared with them."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    # EXISTS rather than joins + DISTINCT: no duplicate rows to remove, and far cheaper for one application.
    return Application.objects.filter(
        Exists(Membership.objects.filter(organisation_id=OuterRef("applicant_id"), user=user))
        | Exists(ApplicationAccess.objects.filter(application_id=OuterRef("pk"), user=user)))


def agency_incidents(user):
    """Incident reports of the agencies the user works for."""
    ids = staff_agency_ids(user)
    if not ids:
        return IncidentReport.objects.none()
    return IncidentReport.objects.filter(agency_id__in=ids)
