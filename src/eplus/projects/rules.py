"""Who may do what with a project (``rules`` predicates) and the matching queryset filters.

- people with a :class:`ProjectAccess`: ``view`` (partners' contacts) or ``edit`` (the coordinator's
  legal representatives and contact persons, and whoever they grant edit rights);
- staff of the project's agency: the agency pages (through :func:`agency_projects`).
Lists use the same filters as detail pages, so a list never shows what a detail page refuses; anyone
else gets a 404.
"""

import rules

from eplus.programme.scoping import for_agency_staff

from . import services
from .models import Project, Report


@rules.predicate
def can_view(user, project):
    return services.can_view(user, project)


@rules.predicate
def can_edit(user, project):
    return services.can_edit(user, project)


@rules.predicate
def can_manage_people(user, project):
    return services.can_manage_people(user, project)


rules.add_perm("projects.view_project", can_view)
rules.add_perm("projects.manage_people", can_manage_people)
rules.add_perm("projects.change_project", can_edit)
rules.add_perm("projects.submit_report", can_edit)


def visible_projects(user):
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(accesses__user=user)


def editable_projects(user):
    return visible_projects(user).filter(accesses__user=user, accesses__level="edit")


def agency_projects(user):
    return for_agency_staff(Project.objects.all(), user)


def agency_reports(user):
    return for_agency_staff(Report.objects.all(), user, agency_path="project__agency")
