"""Transitions of projects, reports, amendments and the final assessment (DOMAIN §7).

One plain function per transition: check who may do it and from which state, save (the audit trail
records the change with its verb and reason), notify by e-mail. Refusals raise
:class:`eplus.projects.services.ProjectError` (``str(exc)`` is the message for the user) or
``PermissionDenied``.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.money import eur, format_eur
from eplus.programme.scoping import staff_agency_ids

from . import finance
from .models import (
    Amendment, AmendmentKind, AmendmentStatus, AssessmentStatus, FinalAssessment, Payment, PaymentKind,
    PaymentStatus, Project, ProjectStatus, Report, ReportKind, ReportStatus,
)
from .services import (
    ProjectError, agency_staff, apply_budget_split, apply_partner_change, check_budget_split,
    check_partner_change, compute_assessment, edit_recipients, new_version, notify, project_card,
    project_locked, refresh_card, require_edit, results_submitted, submission_problems, today,
)


class NotReady(ProjectError):
    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


def require_agency(user, project):
    if project.agency_id not in staff_agency_ids(user):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError(_("Give a reason; it is sent to the beneficiary."))
    return reason


# --- reports: beneficiary ----------------------------------------------------------------------

def submit_report(report, user):
    """Submit (or resubmit after an update request): every version kept, the project data locked."""
    require_edit(user, report.project)
    with acting_as(user), transaction.atomic():
        report = Report.objects.select_for_update().select_related("project").get(pk=report.pk)
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
            project.status = ProjectStatus.FINAL_REPORT_SUBMITTED
            project.save(audit_verb="final-report-submitted")
            days = project.call.final_report_decision_days or 60
            due = finance.decision_due(report.received_on, days)
            assessment = FinalAssessment.objects.filter(report=report).first()
            if assessment is None:
                FinalAssessment.objects.create(report=report, project=project, decision_due=due)
            elif assessment.decision_due != due:
                assessment.decision_due = due
                assessment.save(audit_verb="resubmitted")
            card = project_card(project)
            if card is not None:
                from eplus.results.services import mark_final_report_submitted

                mark_final_report_submitted(card)
        transaction.on_commit(lambda: notify(agency_staff(project), "report_submitted", {"report": report,
                                                                                       "project": project}))
    return report


# --- reports: agency ---------------------------------------------------------------------------

def _agency_report(report, user, allowed=(ReportStatus.SUBMITTED,)):
    require_agency(user, report.project)
    locked = Report.objects.select_for_update().select_related("project", "project__call").get(pk=report.pk)
    if locked.status not in allowed:
        raise ProjectError(_("This report is not waiting for the agency's decision."))
    return locked


def request_update(report, user, reason):
    reason = _reason(reason)
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user)
        report.status = ReportStatus.UPDATE_REQUESTED
        report.agency_comment = reason
        report.save(audit_verb="request-update", audit_reason=reason)
        project = report.project
        if report.kind == ReportKind.FINAL:
            project.status = ProjectStatus.FINAL_REPORT_AWAITED
            project.save(audit_verb="final-report-returned", audit_reason=reason)
        transaction.on_commit(lambda: notify(edit_recipients(project), "update_requested",
                                             {"report": report, "project": project, "reason": reason}))
    return report


def accept_report(report, user):
    """Accept a progress or interim report; an interim report decides the further pre-financing."""
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user)
        if report.kind == ReportKind.FINAL:
            raise ProjectError(_("The final report is accepted by approving its assessment."))
        report.status = ReportStatus.ACCEPTED
        report.save(audit_verb="accept-report")
        project = report.project
        if report.kind == ReportKind.INTERIM:
            decide_further_prefinancing(project, report)
        transaction.on_commit(lambda: notify(edit_recipients(project), "report_accepted",
                                             {"report": report, "project": project}))
    return report


def decide_further_prefinancing(project, report):
    """The further pre-financing becomes due when the interim report shows at least the call's threshold
    of the previous pre-financing used, else it is blocked with the reason."""
    further = project.payments.filter(kind=PaymentKind.FURTHER).exclude(status=PaymentStatus.PAID).first()
    if further is None:
        return None
    first = project.payments.filter(kind=PaymentKind.PREFINANCING).first()
    threshold = "70"
    for item in project.call.payment_schedule or []:
        if item.get("code") == "further-prefinancing":
            threshold = (item.get("condition") or {}).get("min_previous_prefinancing_used_percent", "70")
    allowed, reason = finance.further_prefinancing_allowed(first.amount, report.prefinancing_used or 0, threshold)
    if allowed:
        further.status = PaymentStatus.DUE
        further.due = today() + timedelta(days=project.call.first_prefinancing_days or 30)
        further.status_reason = reason
        further.save(audit_verb="further-prefinancing-allowed", audit_reason=reason)
    else:
        further.status = PaymentStatus.BLOCKED
        further.status_reason = reason
        further.save(audit_verb="further-prefinancing-refused", audit_reason=reason)
    return further


def cancel_report(report, user, reason):
    reason = _reason(reason)
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user, allowed=(ReportStatus.DRAFT, ReportStatus.SUBMITTED,
                                                       ReportStatus.UPDATE_REQUESTED))
        report.status = ReportStatus.CANCELLED
        report.agency_comment = reason
        report.save(audit_verb="cancel-report", audit_reason=reason)
        project = report.project
        transaction.on_commit(lambda: notify(edit_recipients(project), "report_cancelled",
                                             {"report": report, "project": project, "reason": reason}))
    return report


# --- final assessment --------------------------------------------------------------------------

def save_assessment(report, user, *, overall_score=None, wp_scores=None, comments=""):
    """Score the final report (overall, or per work package except WP1) and compute the final grant."""
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user)
        if report.kind != ReportKind.FINAL:
            raise ProjectError(_("Only the final report is scored."))
        project = report.project
        try:
            grant, bal = compute_assessment(project, overall_score=overall_score, wp_scores=wp_scores)
        except (ValueError, TypeError) as exc:
            raise ProjectError(_("The scores cannot be used: %(problem)s. Give every score as a number from 0 to "
                                 "100.") % {"problem": exc}) from exc
        assessment = FinalAssessment.objects.select_for_update().get(report=report)
        if assessment.status == AssessmentStatus.APPROVED:
            raise ProjectError(_("The assessment has already been approved."))
        assessment.overall_score = None if wp_scores else overall_score
        assessment.wp_scores = {str(k): str(v) for k, v in (wp_scores or {}).items()}
        assessment.reduction_percent = grant.reduction_percent
        assessment.reduction = grant.reduction
        assessment.final_grant = grant.amount
        assessment.paid = bal.paid
        assessment.balance = bal.amount
        assessment.comments = comments or ""
        assessment.save(audit_verb="score-final-report")
    return assessment


def approve_assessment(report, user):
    """Approve the final report: blocked until the results were submitted on the results platform; the
    balance becomes due (or a recovery is raised), the project is finalised."""
    with acting_as(user), transaction.atomic():
        report = _agency_report(report, user)
        project = Project.objects.select_for_update().get(pk=report.project_id)
        assessment = FinalAssessment.objects.select_for_update().get(report=report)
        if assessment.reduction_percent is None or (assessment.overall_score is None and not assessment.wp_scores):
            raise ProjectError(_("Score the final report before approving it."))
        if not results_submitted(project):
            raise ProjectError(_("The final report cannot be approved yet: the project's results have not been "
                                 "submitted on the results platform."))
        # Recompute with the payments as they are now (exact to the cent).
        grant, bal = compute_assessment(
            project, overall_score=assessment.overall_score,
            wp_scores={int(k): v for k, v in assessment.wp_scores.items()} or None)
        assessment.final_grant, assessment.paid, assessment.balance = grant.amount, bal.paid, bal.amount
        assessment.reduction, assessment.reduction_percent = grant.reduction, grant.reduction_percent
        assessment.status = AssessmentStatus.APPROVED
        assessment.decided_by = user
        assessment.decided_at = clock.now()
        assessment.save(audit_verb="approve-final-report")
        for payment in project.payments.filter(kind=PaymentKind.FURTHER).exclude(status=PaymentStatus.PAID):
            payment.status = PaymentStatus.CANCELLED
            payment.status_reason = _("Replaced by the balance computed at the final assessment.")
            payment.save(audit_verb="cancel-unpaid-prefinancing")
        balance_payment = project.payments.filter(kind=PaymentKind.BALANCE).first()
        due = today() + timedelta(days=project.call.first_prefinancing_days or 30)
        if balance_payment is None:
            balance_payment = Payment(project=project, kind=PaymentKind.BALANCE,
                                      sequence=project.payments.count() + 1, amount=0)
        balance_payment.at_most = False
        if bal.kind == "payment":
            balance_payment.amount, balance_payment.status, balance_payment.due = bal.to_pay, PaymentStatus.DUE, due
            balance_payment.status_reason = _("Final grant %(grant)s minus %(paid)s already paid.") % {
                "grant": format_eur(grant.amount), "paid": format_eur(bal.paid)}
        else:
            balance_payment.amount, balance_payment.status = eur(0), PaymentStatus.CANCELLED
            balance_payment.status_reason = _("No balance: the final grant is not more than what was paid.")
        balance_payment.save(audit_verb="balance-computed")
        if bal.kind == "recovery":
            Payment.objects.create(
                project=project, kind=PaymentKind.RECOVERY, sequence=project.payments.count() + 1,
                amount=bal.recovery, due=due, status=PaymentStatus.DUE,
                status_reason=_("Final grant %(grant)s, %(paid)s already paid: %(recovery)s to be returned.") % {
                    "grant": format_eur(grant.amount), "paid": format_eur(bal.paid),
                    "recovery": format_eur(bal.recovery)})
        report.status = ReportStatus.ACCEPTED
        report.save(audit_verb="accept-final-report")
        project.status = ProjectStatus.FINALISED
        project.save(audit_verb="finalise")
        card = project_card(project)
        if card is not None:
            from eplus.results.services import mark_project_finalised

            mark_project_finalised(card)
        transaction.on_commit(lambda: notify(edit_recipients(project), "final_decision",
                                             {"project": project, "assessment": assessment}))
    return assessment


def terminate_project(project, user, reason):
    reason = _reason(reason)
    require_agency(user, project)
    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status in (ProjectStatus.FINALISED, ProjectStatus.TERMINATED):
            raise ProjectError(_("The project is already closed."))
        project.status = ProjectStatus.TERMINATED
        project.status_reason = reason
        project.save(audit_verb="terminate", audit_reason=reason)
        card = project_card(project)
        if card is not None:
            from eplus.results.services import set_project_status

            set_project_status(card, "terminated")
    return project


# --- amendments --------------------------------------------------------------------------------

def request_amendment(project, user, *, kind, description, proposed=None):
    require_edit(user, project)
    if project.status in (ProjectStatus.FINALISED, ProjectStatus.TERMINATED):
        raise ProjectError(_("The project is closed; no amendment can be requested."))
    if project_locked(project):
        raise ProjectError(_("A report is with the agency, which locks the project data; request the amendment "
                             "once the agency has decided on the report."))
    if kind not in AmendmentKind.values:
        raise ProjectError(_("Choose what the amendment changes."))
    if not (description or "").strip():
        raise ProjectError(_("Describe the change and why it is needed."))
    proposed = dict(proposed or {})
    if kind == AmendmentKind.DATES:
        start, end = proposed.get("start_date"), proposed.get("end_date")
        if not start or not end or str(end) < str(start):
            raise ProjectError(_("Give the new start and end dates; the end date must be after the start date."))
    elif kind == AmendmentKind.PARTNERS:
        action, organisation = check_partner_change(project, proposed)
        proposed = {"partner_action": action, "partner_oid": organisation.oid, "partner_name": organisation.legal_name}
    elif kind == AmendmentKind.BUDGET:
        amounts = check_budget_split(project, proposed)
        proposed = {f"amount_{number}": amount for number, amount in amounts.items()}
    with acting_as(user):
        amendment = Amendment.objects.create(project=project, kind=kind, description=description.strip(),
                                             proposed={k: str(v) for k, v in proposed.items()}, requested_by=user)
    notify(agency_staff(project), "amendment_requested", {"project": project, "amendment": amendment})
    return amendment


def decide_amendment(amendment, user, *, approve, reason=""):
    require_agency(user, amendment.project)
    if amendment.status != AmendmentStatus.REQUESTED:
        raise ProjectError(_("This amendment has already been decided."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ProjectError(_("Give the reason for rejecting the amendment; it is sent to the beneficiary."))
    from datetime import date

    with acting_as(user), transaction.atomic():
        project = Project.objects.select_for_update().get(pk=amendment.project_id)
        amendment.project = project
        if approve and project_locked(project):
            raise ProjectError(_("A report is with the agency, which locks the project data; decide on the report "
                                 "before approving the amendment."))
        if approve and amendment.kind == AmendmentKind.PARTNERS:
            partner_change = check_partner_change(project, amendment.proposed)
        if approve and amendment.kind == AmendmentKind.BUDGET:
            amounts = check_budget_split(project, amendment.proposed)
        amendment.status = AmendmentStatus.APPROVED if approve else AmendmentStatus.REJECTED
        amendment.reason = reason
        amendment.decided_by = user
        amendment.decided_at = clock.now()
        amendment.save(audit_verb="approve-amendment" if approve else "reject-amendment", audit_reason=reason)
        if approve and amendment.kind == AmendmentKind.DATES:
            project.start_date = date.fromisoformat(amendment.proposed["start_date"])
            project.end_date = date.fromisoformat(amendment.proposed["end_date"])
            project.save(audit_verb="amend-dates", audit_reason=amendment.description)
            final = project.reports.filter(kind=ReportKind.FINAL).first()
            if final is not None and final.is_editable:
                final.period_end = project.end_date
                final.due = finance.report_due_dates(project.end_date,
                                                     final_days=project.call.final_report_days or 60)[-1].due
                final.save(audit_verb="amend-dates")
            refresh_card(project)
        elif approve and amendment.kind == AmendmentKind.PARTNERS:
            apply_partner_change(project, *partner_change, reason=amendment.description)
        elif approve and amendment.kind == AmendmentKind.BUDGET:
            apply_budget_split(project, amounts, amendment.description)
        transaction.on_commit(lambda: notify(edit_recipients(project), "amendment_decided",
                                             {"project": project, "amendment": amendment}))
    return amendment
