"""Who may do what with a project: ``rules`` predicates and, beside each, the queryset filter of what
the user may list. Views declare these permissions (``eplus.core.permissions.permission_required``),
the domain functions check the same ones (``user.has_perm``), the API asks the same filters.

- people with a :class:`ProjectAccess`: ``view`` (partners' contacts) or ``edit`` (the coordinator's
  legal representatives and contact persons, and whoever they grant edit rights);
- the coordinator's legal representatives and contact persons holding edit rights manage the rights;
- staff of the project's agency: the agency pages (through :func:`agency_projects`) and decisions.
Lists use the same filters as detail pages, so a list never shows what a detail page refuses; anyone
else gets a 404.
"""

import rules
from django.db.models import Q

from eplus.organisations.models import MANAGER_ROLES, Membership
from eplus.programme.scoping import for_agency_staff, is_agency_staff, staff_agency_ids

from .models import AccessLevel, Amendment, Payment, Project, ProjectAccess, ProjectCheck, Report, Termination

LEVEL_RANK = {None: 0, AccessLevel.VIEW: 1, AccessLevel.EDIT: 2}


def _level(user, project):
    """"edit", "view" or None: the user's own rights on ``project`` (cached on the project)."""
    if not getattr(user, "is_authenticated", False) or project is None:
        return None
    cache = project.__dict__.setdefault("_access_cache", {})
    if user.pk not in cache:
        cache[user.pk] = ProjectAccess.objects.filter(project=project, user=user).values_list(
            "level", flat=True).first()
    return cache[user.pk]


def forget_level(project, user=None):
    """Drop the cached rights of ``user`` (or everyone's) after they changed."""
    cache = project.__dict__.get("_access_cache", {})
    if user is None:
        cache.clear()
    else:
        cache.pop(user.pk, None)


def _project_of(obj):
    return obj if isinstance(obj, Project) or obj is None else obj.project


# --- the beneficiaries ---------------------------------------------------------------------------

@rules.predicate
def has_view_access(user, project):
    return LEVEL_RANK[_level(user, _project_of(project))] >= 1


@rules.predicate
def has_edit_access(user, project):
    return _level(user, _project_of(project)) == AccessLevel.EDIT


@rules.predicate
def is_coordinator_manager(user, project):
    """A legal representative or contact person of the project's coordinator."""
    project = _project_of(project)
    return project is not None and Membership.objects.filter(
        organisation_id=project.coordinator_id, user=user, role__in=MANAGER_ROLES).exists()


@rules.predicate
def report_is_editable(user, report):
    return report is not None and report.is_editable


def visible_projects(user):
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(accesses__user=user)


def editable_projects(user):
    return visible_projects(user).filter(accesses__level=AccessLevel.EDIT)


# --- the agency ----------------------------------------------------------------------------------

@rules.predicate
def is_staff_of_an_agency(user):
    return is_agency_staff(user)


@rules.predicate
def is_staff_of_the_agency(user, obj):
    """Staff of the agency of the project (or of the report's, payment's or amendment's project)."""
    project = _project_of(obj)
    return project is not None and project.agency_id in staff_agency_ids(user)


def agency_projects(user):
    return for_agency_staff(Project.objects.all(), user)


def agency_reports(user):
    return for_agency_staff(Report.objects.all(), user, agency_path="project__agency")


def agency_payments(user):
    return for_agency_staff(Payment.objects.all(), user, agency_path="project__agency")


def agency_debit_notes(user):
    from .models import DebitNote

    return for_agency_staff(DebitNote.objects.all(), user, agency_path="project__agency")


def agency_amendments(user):
    return for_agency_staff(Amendment.objects.all(), user, agency_path="project__agency")


def beneficiary_checks(project):
    """The checks of ``project`` its beneficiary sees: those the agency shared with it."""
    return ProjectCheck.objects.filter(project=project, shared=True)


def agency_terminations(user):
    return for_agency_staff(Termination.objects.all(), user, agency_path="project__agency")


def agency_checks(user):
    return for_agency_staff(ProjectCheck.objects.all(), user, agency_path="project__agency")


def documents_projects(user):
    """Projects whose documents (declarations, payment letters, payment exports) the user may open: their
    own projects and, for agency staff, the agency's."""
    return Project.objects.filter(Q(pk__in=visible_projects(user).values("pk"))
                                  | Q(pk__in=agency_projects(user).values("pk")))


# --- the permissions -----------------------------------------------------------------------------

rules.add_perm("projects.list_projects", rules.is_authenticated)
rules.add_perm("projects.view_project", has_view_access)
rules.add_perm("projects.change_project", has_edit_access)
rules.add_perm("projects.request_amendment", has_edit_access)
rules.add_perm("projects.submit_report", has_edit_access)
rules.add_perm("projects.edit_report", has_edit_access & report_is_editable)
rules.add_perm("projects.manage_people", has_edit_access & is_coordinator_manager)
rules.add_perm("projects.view_documents", has_view_access | is_staff_of_the_agency)
rules.add_perm("projects.download_dossier", has_edit_access | is_staff_of_the_agency)
rules.add_perm("projects.view_agency_projects", is_staff_of_an_agency)
rules.add_perm("projects.manage_project", is_staff_of_the_agency)
rules.add_perm("projects.assess_report", is_staff_of_the_agency)
rules.add_perm("projects.mark_paid", is_staff_of_the_agency)
rules.add_perm("projects.decide_amendment", is_staff_of_the_agency)
# recovery (eplus.projects.recovery): the project's people read their debit notes, the agency acts on them
rules.add_perm("projects.view_debit_note", has_view_access | is_staff_of_the_agency)
rules.add_perm("projects.manage_recovery", is_staff_of_the_agency)
rules.add_perm("projects.file_claim", has_edit_access)
rules.add_perm("projects.decide_claim", is_staff_of_the_agency)
# Termination (eplus.projects.termination): the coordinator's managers with edit rights request it and answer
# the agency's notice; the agency sends notices and decides (projects.manage_project).
rules.add_perm("projects.request_termination", has_edit_access & is_coordinator_manager)
rules.add_perm("projects.answer_termination", has_edit_access & is_coordinator_manager)
# Checks, monitoring and audit (eplus.projects.monitoring): the agency records them; people with rights on the
# project read the ones shared with them (beneficiary_checks), editors answer the findings.
rules.add_perm("projects.manage_checks", is_staff_of_the_agency)
rules.add_perm("projects.view_checks", has_view_access)
rules.add_perm("projects.answer_check", has_edit_access)
