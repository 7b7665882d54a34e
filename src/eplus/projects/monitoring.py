"""Checks, monitoring and audit of a project (issue 14, item 7): the agency records desk checks, monitoring
visits (planned, then done with a report file) and audits with their findings; a finding may propose a grant
reduction or a recovery (the kind and amount are stored for the reduction and recovery procedures, which act
on them). The agency shares a check with the beneficiary; findings shared leave the beneficiary the call's
``finding_answer_days`` to answer (``other_rules``, through :mod:`eplus.projects.figures`). A check may be
shared before it has findings (a planned visit); findings added to it later start the answer period then, and
the beneficiary is notified as when the check was shared. Everything is in
the auditors' dossier (:mod:`eplus.projects.dossier`).

(Named ``monitoring`` so as not to be confused with the evaluation's formal checks, ``evaluation/checks.py``.)
Each change runs under the check's (or the project's) row lock, is audited and is idempotent.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.files import DOCUMENT, check_upload, stored_upload
from eplus.core.money import eur

from . import figures
from .base import ProjectError, today
from .models import CheckKind, CheckStatus, Project, ProjectCheck, ProposedAction
from .notify import agency_staff, edit_recipients, notify


def _require(user, perm, project):
    if not user.has_perm(perm, project):
        raise PermissionDenied(_("You are not allowed to do this on this project."))


def _amount(action, amount, project):
    if action == ProposedAction.NONE:
        return None
    try:
        value = eur(amount) if amount not in (None, "") else None
    except (InvalidOperation, ValueError, TypeError):
        value = None
    if value is None or value <= Decimal("0.00"):
        raise ProjectError(_("Give the amount of the proposed reduction or recovery, in euros."))
    if value > project.lump_sum:
        raise ProjectError(_("The proposed amount cannot be more than the project's grant."))
    return value


def _validated(project, data):
    kind, status = data.get("kind"), data.get("status") or CheckStatus.PLANNED
    action = data.get("proposed_action") or ProposedAction.NONE
    if kind not in CheckKind.values or status not in CheckStatus.values or action not in ProposedAction.values:
        raise ProjectError(_("Choose the kind of check, its status and the proposed action."))
    if status == CheckStatus.PLANNED and not data.get("planned_on"):
        raise ProjectError(_("Give the date the check is planned for."))
    if status == CheckStatus.DONE and not data.get("done_on"):
        raise ProjectError(_("Give the date the check was done."))
    return {"kind": kind, "status": status, "planned_on": data.get("planned_on"), "done_on": data.get("done_on"),
            "findings": (data.get("findings") or "").strip(), "proposed_action": action,
            "proposed_amount": _amount(action, data.get("proposed_amount"), project)}


def _set_answer_due(check):
    """Findings shared with the beneficiary start the period of its answer (once)."""
    if check.shared and check.findings and check.answer_due is None:
        check.answer_due = today() + timedelta(days=figures.finding_answer_days(check.project.call))


def save_check(project, user, data, check=None, report_file=None):
    """Record a new check of ``project`` (``check`` None) or change one, with its report file (a PDF, PNG or
    JPEG upload). Refused once the beneficiary has answered it: the answer is about what it read."""
    _require(user, "projects.manage_checks", project)
    values = _validated(project, data)
    checked = check_upload(report_file, report_file.name, DOCUMENT) if report_file else None
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().select_related("call", "agency").get(pk=project.pk)
        if check is None:
            check = ProjectCheck(project=project, created_by=user)
        else:
            check = ProjectCheck.objects.select_for_update().select_related("project__call").get(
                pk=check.pk, project=project)
            if check.answered_at is not None:
                raise ProjectError(_("The beneficiary has answered this check; it can no longer be changed."))
        for key, value in values.items():
            setattr(check, key, value)
        waiting = check.answer_due
        _set_answer_due(check)
        if checked is None:
            check.save(audit_verb="record-check" if check._state.adding else "change-check")
        else:
            with stored_upload(report_file, checked, f"projects/{project.pk}/checks") as stored:
                check.report_file.name = stored.name
                check.report_name, check.report_sha256 = checked.download_name, checked.sha256
                check.report_type = checked.content_type
                check.save(audit_verb="record-check" if check._state.adding else "change-check")
        if waiting is None and check.answer_due is not None:
            # Findings added to a check already shared: the beneficiary is told, its answer period starts now.
            notify(edit_recipients(project), "check_shared", {"project": project, "check": check})
    return check


def share_check(check, user):
    """Show the check to the beneficiary (and start the period of its answer to the findings)."""
    _require(user, "projects.manage_checks", check.project)
    with acting_as(user), transaction.atomic():
        check = ProjectCheck.objects.select_for_update().select_related("project__call", "project__agency").get(
            pk=check.pk)
        if check.shared:
            return check
        check.shared, check.shared_on = True, today()
        _set_answer_due(check)
        check.save(audit_verb="share-check")
        notify(edit_recipients(check.project), "check_shared", {"project": check.project, "check": check})
    return check


def answer_check(check, user, answer):
    """The beneficiary's answer to the shared findings, within the period; sent once."""
    _require(user, "projects.answer_check", check.project)
    answer = (answer or "").strip()
    if not answer:
        raise ProjectError(_("Write your answer to the findings."))
    with acting_as(user), transaction.atomic():
        check = ProjectCheck.objects.select_for_update().select_related("project__agency").get(pk=check.pk)
        if check.answered_at is not None:
            return check
        if not check.shared or check.answer_due is None:
            raise ProjectError(_("This check has no findings waiting for your answer."))
        if today() > check.answer_due:
            raise ProjectError(_("The period to answer ended on %(date)s.") % {"date": date_format(check.answer_due)})
        check.beneficiary_answer = answer
        check.answered_at, check.answered_by = clock.now(), user
        check.save(audit_verb="answer-check")
        notify(agency_staff(check.project), "check_answered", {"project": check.project, "check": check})
    return check
