"""People's rights on a project: who may view or edit it. The coordinator's legal representatives and
contact persons with edit rights grant, change and withdraw them (``projects.manage_people``); every
change is made under the project's row lock and is idempotent (the same change twice changes nothing)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.organisations.models import Membership

from .base import ProjectError
from .models import AccessLevel, Project, ProjectAccess
from .queries import participating_organisation_ids
from .rules import forget_level

NO_ACCESS = "none"


def _apply_level(project, user, level, organisation_id, *, verb="grant-access", reason=""):
    """Set (or, with ``"none"``, withdraw) ``user``'s level; the caller holds the project's row lock."""
    access = ProjectAccess.objects.select_for_update().filter(project=project, user=user).first()
    if level == NO_ACCESS:
        if access is not None:
            access.delete()
        access = None
    elif access is None:
        access = ProjectAccess(project=project, user=user, level=level, organisation_id=organisation_id)
        access.save(audit_verb=verb, audit_reason=reason)
    elif access.level != level:
        access.level = level
        access.save(audit_verb="change-access", audit_reason=reason)
    forget_level(project, user)
    return access


def grant_access(project, user, level, by):
    """Set ``user``'s rights (only someone with edit rights may grant them)."""
    if not by.has_perm("projects.change_project", project):
        raise PermissionDenied(_("You can only view this project; ask the coordinator for edit rights."))
    if level not in AccessLevel.values:
        raise ValidationError(_("Choose view or edit."))
    with acting_as(by), transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        existing = ProjectAccess.objects.filter(project=project, user=user).first()
        organisation_id = existing.organisation_id if existing is not None else None
        return _apply_level(project, user, level, organisation_id)


def _acting_membership(project, user):
    """The membership through which ``user`` acts on the project: for the coordinator if they do, else
    for a partner; ProjectError for anyone else."""
    memberships = list(Membership.objects.filter(organisation_id__in=participating_organisation_ids(project),
                                                 user=user))
    if not memberships:
        raise ProjectError(_("Rights can be given only to people who act for the coordinator or a partner of the "
                             "project."))
    coordinator = [m for m in memberships if m.organisation_id == project.coordinator_id]
    return (coordinator or sorted(memberships, key=lambda m: -m.organisation_id))[0]


def set_person_access(project, user, level, by):
    """Grant or change (``"view"``/``"edit"``) or withdraw (``"none"``) the rights of a person who acts
    for a participating organisation; only a coordinator manager may, and never on their own rights."""
    if not by.has_perm("projects.manage_people", project):
        raise PermissionDenied(_("Only the coordinator's legal representatives and contact persons with edit rights "
                                 "can grant rights on the project."))
    if level not in (*AccessLevel.values, NO_ACCESS):
        raise ProjectError(_("Choose no access, view or edit."))
    if user.pk == by.pk:
        raise ProjectError(_("You cannot change your own rights; ask another legal representative or contact "
                             "person of the coordinator."))
    membership = _acting_membership(project, user)
    with acting_as(by), transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        return _apply_level(project, user, level, membership.organisation_id)
