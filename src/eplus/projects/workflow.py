"""Transitions of reports, the final assessment and the project (DOMAIN §7).

One plain function per transition: check the permission (the predicates of :mod:`eplus.projects.rules`)
and the state under the object's row lock, save (the audit trail records the change with its verb and
reason), notify by e-mail after commit. Every transition is idempotent: the same call again (a double
click, a parallel request) finds the state already reached, changes nothing and sends nothing.
Refusals raise :class:`eplus.projects.base.ProjectError` (``str(exc)`` is the message for the user) or
``PermissionDenied``. Amendments are in :mod:`eplus.projects.amendments`.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.results.publishing import mark_final_report_submitted, mark_project_finalised, set_project_status

from . import figures, finance
from .base import NotReady, ProjectError
from .claims import claim_of, settle_new_decision
from .gates import approval_blocker, final_report_submitted
from .models import (
    TERMINATED_STATUSES, AssessmentStatus, FinalAssessment, Project, ProjectStatus, Report, ReportKind, ReportStatus,
)
from .notify import agency_staff, edit_recipients, notify
from .payments import decide_further_prefinancing, settle_balance
from .queries import project_card, results_submitted
from .recovery import issue_debit_note
from .reports import compute_assessment, new_version, recompute, set_figures, submission_problems
from .termination import record_final_grant

__all__ = ["NotReady", "ProjectError", "accept_report", "approve_assessment", "cancel_report", "request_update",
           "save_assessment", "submit_report"]


def _require(user, perm, obj):
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this on this project."))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError(_("Give a reason; it is sent to the beneficiary."))
    return reason


# --- reports: beneficiary ----------------------------------------------------------------------

def submit_report(report, user):
    """Submit (or resubmit after an update request): every version kept, the project data locked."""
    _require(user, "projects.submit_report", report.project)
    with acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().select_related("project", "project__call").get(pk=report.pk)
        if not report.is_editable:
            raise ProjectError(_("This report has already been submitted."))
        problems = submission_problems(report)
        if problems:
            raise NotReady(_("The report cannot be submitted yet; put right the problems listed."), problems)
        now = clock.now()
        new_version(report, user, now)
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
        report.received_on = clock.to_brussels(now).date()
        report.version += 1
        report.save(audit_verb="submit-report")
        project = report.project
        if report.kind == ReportKind.FINAL:
            _final_report_received(project, report)
        notify(agency_staff(project), "report_submitted", {"report": report, "project": project})
    return report


def _final_report_received(project, report):
    if project.status not in TERMINATED_STATUSES:  # a terminated project keeps its status (termination.py)
        project.status = ProjectStatus.FINAL_REPORT_SUBMITTED
        project.save(audit_verb="final-report-submitted")
    due = finance.decision_due(report.received_on, figures.final_report_decision_days(project.call))
    assessment = FinalAssessment.objects.filter(report=report).first()
    if assessment is None:
        FinalAssessment.objects.create(report=report, project=project, decision_due=due)
    elif assessment.decision_due != due:
        assessment.decision_due = due
        assessment.save(audit_verb="resubmitted")
    card = project_card(project)
    if card is not None:
        mark_final_report_submitted(card)
    final_report_submitted(report)  # e.g. the experts' assessments of an earlier version re-open


# --- reports: agency ---------------------------------------------------------------------------

def _agency_report(report, user, allowed=(ReportStatus.SUBMITTED,), done=None):
    """The report under its row lock, or None when it is already in the state ``done`` (nothing to do)."""
    _require(user, "projects.assess_report", report)
    locked = Report.objects.select_for_update().select_related("project", "project__call").get(pk=report.pk)
    if done is not None and locked.status == done:
        return None
    if locked.status not in allowed:
        raise ProjectError(_("This report is not waiting for the agency's decision."))
    return locked


def request_update(report, user, reason, documents=()):
    """Send a submitted report back with the agency's comment; ``documents``: titles of documents the
    beneficiary must attach (besides a new declaration on honour) before submitting it again."""
    reason = _reason(reason)
    documents = list(dict.fromkeys(t.strip()[:200] for t in documents if t and t.strip()))[:10]
    with acting_as(user), transaction.atomic():
        locked = _agency_report(report, user, done=ReportStatus.UPDATE_REQUESTED)
        if locked is None:
            return Report.objects.get(pk=report.pk)
        report = locked
        report.status = ReportStatus.UPDATE_REQUESTED
        report.agency_comment = reason
        report.requested_documents = documents
        report.save(audit_verb="request-update", audit_reason=reason)
        project = report.project
        if report.kind == ReportKind.FINAL and project.status not in TERMINATED_STATUSES:
            project.status = ProjectStatus.FINAL_REPORT_AWAITED
            project.save(audit_verb="final-report-returned", audit_reason=reason)
        notify(edit_recipients(project), "update_requested",
               {"report": report, "project": project, "reason": reason})
    return report


def accept_report(report, user):
    """Accept a progress or interim report; an interim report decides the further pre-financing."""
    with acting_as(user), transaction.atomic():
        locked = _agency_report(report, user, done=ReportStatus.ACCEPTED)
        if locked is None:
            return Report.objects.get(pk=report.pk)
        report = locked
        if report.kind == ReportKind.FINAL:
            raise ProjectError(_("The final report is accepted by approving its assessment."))
        if report.project.status in TERMINATED_STATUSES:
            raise ProjectError(_("The project was terminated; its progress and interim reports are no longer "
                                 "accepted."))
        report.status = ReportStatus.ACCEPTED
        report.save(audit_verb="accept-report")
        project = report.project
        if report.kind == ReportKind.INTERIM:
            decide_further_prefinancing(project, report)
        notify(edit_recipients(project), "report_accepted", {"report": report, "project": project})
    return report


def cancel_report(report, user, reason):
    reason = _reason(reason)
    with acting_as(user), transaction.atomic():
        locked = _agency_report(report, user, allowed=(ReportStatus.DRAFT, ReportStatus.SUBMITTED,
                                                       ReportStatus.UPDATE_REQUESTED), done=ReportStatus.CANCELLED)
        if locked is None:
            return Report.objects.get(pk=report.pk)
        report = locked
        report.status = ReportStatus.CANCELLED
        report.agency_comment = reason
        report.save(audit_verb="cancel-report", audit_reason=reason)
        project = report.project
        notify(edit_recipients(project), "report_cancelled",
               {"report": report, "project": project, "reason": reason})
    return report


# --- final assessment --------------------------------------------------------------------------

def save_assessment(report, user, *, overall_score=None, wp_scores=None, comments=""):
    """Score the final report (overall, or per work package except WP1) and compute the final grant."""
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user)
        if report.kind != ReportKind.FINAL:
            raise ProjectError(_("Only the final report is scored."))
        project = report.project
        assessment = FinalAssessment.objects.select_for_update().get(report=report)
        if assessment.status == AssessmentStatus.APPROVED:
            raise ProjectError(_("The assessment has already been approved."))
        try:
            grant, bal = compute_assessment(project, overall_score=overall_score, wp_scores=wp_scores,
                                            adjustment=assessment.adjustment)
        except (ValueError, TypeError) as exc:
            raise ProjectError(_("The scores cannot be used: %(problem)s. Give every score as a number from 0 to "
                                 "100.") % {"problem": exc}) from exc
        assessment.overall_score = None if wp_scores else overall_score
        assessment.wp_scores = {str(k): str(v) for k, v in (wp_scores or {}).items()}
        set_figures(assessment, grant, bal)
        assessment.comments = comments or ""
        assessment.save(audit_verb="score-final-report")
    return assessment


def approve_assessment(report, user):
    """Approve the final report: blocked until the results were submitted on the results platform; the
    balance becomes due (or a recovery is raised), the project is finalised. Once approved, approving
    again returns the assessment unchanged."""
    if report.kind != ReportKind.FINAL:
        raise ProjectError(_("Only the final report is approved with its assessment."))
    with acting_as(user), transaction.atomic():
        locked = _agency_report(report, user, done=ReportStatus.ACCEPTED)
        if locked is None:
            return FinalAssessment.objects.get(report_id=report.pk)
        report = locked
        project = Project.objects.select_for_update().select_related("call").get(pk=report.project_id)
        assessment = FinalAssessment.objects.select_for_update().get(report=report)
        if assessment.reduction_percent is None or (assessment.overall_score is None and not assessment.wp_scores):
            raise ProjectError(_("Score the final report before approving it."))
        if not results_submitted(project):
            raise ProjectError(_("The final report cannot be approved yet: the project's results have not been "
                                 "submitted on the results platform."))
        blocker = approval_blocker(report)  # e.g. the experts assigned to the report (evaluation)
        if blocker:
            raise ProjectError(blocker)
        grant, bal = recompute(assessment, project)  # with the payments as they are now
        assessment.status = AssessmentStatus.APPROVED
        assessment.decided_by = user
        assessment.decided_at = clock.now()
        assessment.save(audit_verb="approve-final-report")
        claim = claim_of(report)
        if claim is not None:  # a new version after a claim or a reopening: the earlier decision gives way
            note = settle_new_decision(claim, assessment, bal, user)
        else:
            settle_balance(project, grant, bal)
            # A recovery's debit note is issued with the decision, and the decision e-mail carries it.
            note = issue_debit_note(project, user, assessment=assessment, send=False) if bal.kind == "recovery" else None
        report.status = ReportStatus.ACCEPTED
        report.save(audit_verb="accept-final-report")
        if project.status == ProjectStatus.TERMINATED_WITH_COSTS:
            # Terminated with eligible costs: the status stays; the final grant is the termination's; the approved
            # results go public now, as for a finalised project (the card showed "terminated" until now).
            record_final_grant(project, grant.amount)
            card = project_card(project)
            if card is not None and card.status != ProjectStatus.TERMINATED_WITH_COSTS:
                set_project_status(card, ProjectStatus.TERMINATED_WITH_COSTS)
        else:
            project.status = ProjectStatus.FINALISED
            project.save(audit_verb="finalise")
            card = project_card(project)
            if card is not None:
                mark_project_finalised(card)
        notify(edit_recipients(project), "final_decision", {"project": project, "assessment": assessment, "note": note})
    return assessment

