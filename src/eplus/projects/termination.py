"""Termination of a project's grant (issue 14, item 4).

Rule applied — the Erasmus+ lump-sum model grant agreement (termination by the beneficiaries or by the
granting authority):

- the beneficiary (the coordinator's legal representative or contact person with edit rights) *requests*
  termination with a reason and the date it should take effect; the agency accepts (confirms) or rejects
  the request;
- the agency sends a *notice* with a reason; the beneficiary has the call's ``termination_notice_days``
  for observations (``other_rules``, through :mod:`eplus.projects.figures`); the agency confirms once that
  period is over, or at once when the beneficiary agrees; or it withdraws the notice;
- on confirmation the agency decides the effect on the grant:
  *with eligible costs* (activities were implemented): the final report is due
  ``termination_final_report_days`` after the termination takes effect and is assessed like any final
  report (:mod:`eplus.projects.workflow`), the grant follows the work done (the call's reduction bands),
  and the approved results go public as for a finalised project: once that final report is approved
  (until then the public card shows "terminated", :data:`CARD_UNTIL_FINAL_APPROVAL`) — project status
  ``terminated-with-costs``;
  *without eligible costs*: the final grant is 0 and everything paid (less what was already recovered) is
  to be recovered: the amount is stored on the termination, a recovery payment (due) is raised and its
  debit note issued in the same transaction (:func:`eplus.projects.recovery.issue_debit_note`: offsetting,
  due date, reminders, PDF) — project status ``terminated-without-costs``.
  Either way no further pre-financing is paid and the progress and interim reports not yet accepted
  (submitted ones included) are cancelled, as are the reports not yet submitted (for "with costs" except
  the final report).

A termination requested by the beneficiary takes effect on the date it asked for; one notified by the
agency on the day of the confirmation. Every step runs under the project's row lock, is audited and is
idempotent: the same call again finds the state reached and changes nothing.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.money import format_eur
from eplus.results.publishing import set_project_status

from . import figures
from .base import ProjectError, today
from .models import (
    EDITABLE_REPORT_STATUSES, OPEN_TERMINATION_STATUSES, Payment, PaymentKind, PaymentStatus, Project, ProjectStatus,
    ReportKind, ReportStatus, Termination, TerminationOrigin, TerminationOutcome, TerminationStatus,
)
from .notify import agency_staff, edit_recipients, notify
from .queries import paid_total, project_card
from .recovery import issue_debit_note, reverse_offsets

# The statuses a project can be terminated from: not once its final report is in (the agency decides on
# that report instead) nor once closed.
TERMINABLE = (ProjectStatus.ONGOING, ProjectStatus.FINAL_REPORT_AWAITED)
OUTCOME_STATUS = {TerminationOutcome.WITH_COSTS: ProjectStatus.TERMINATED_WITH_COSTS,
                  TerminationOutcome.WITHOUT_COSTS: ProjectStatus.TERMINATED_WITHOUT_COSTS}
# The public card of a project terminated with eligible costs until its final report is approved: terminated,
# but its results not public yet (RESULTS_PUBLIC_STATUSES); approve_assessment sets terminated-with-costs.
CARD_UNTIL_FINAL_APPROVAL = {ProjectStatus.TERMINATED_WITH_COSTS: ProjectStatus.TERMINATED}


def _require(user, perm, project):
    if not user.has_perm(perm, project):
        raise PermissionDenied(_("You are not allowed to do this on this project."))


def _text(value, message):
    value = (value or "").strip()
    if not value:
        raise ProjectError(message)
    return value


def open_termination(project):
    return project.terminations.filter(status__in=OPEN_TERMINATION_STATUSES).first()


def _locked_project(project):
    locked = Project.objects.select_for_update().select_related("call", "agency").get(pk=project.pk)
    return locked


def _terminable(project):
    if project.status not in TERMINABLE:
        raise ProjectError(_("This project can no longer be terminated."))


# --- the beneficiary ----------------------------------------------------------------------------

def request_termination(project, user, reason, effective_date):
    """The beneficiary asks for the termination to take effect on ``effective_date`` (not in the past)."""
    _require(user, "projects.request_termination", project)
    reason = _text(reason, _("Give the reason for the termination."))
    if effective_date is None:
        raise ProjectError(_("Give the date the termination should take effect."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(project)
        current = open_termination(project)
        if current is not None:
            if current.origin == TerminationOrigin.REQUEST:
                return current  # a double submission
            raise ProjectError(_("The agency has sent a termination notice; send your observations on it."))
        _terminable(project)
        if effective_date < today():
            raise ProjectError(_("The termination cannot take effect before today."))
        termination = Termination(project=project, origin=TerminationOrigin.REQUEST,
                                  status=TerminationStatus.REQUESTED, reason=reason,
                                  requested_effective_date=effective_date, opened_by=user)
        termination.save(audit_verb="request-termination", audit_reason=reason)
        notify(agency_staff(project), "termination_requested", {"project": project, "termination": termination})
    return termination


def answer_notice(termination, user, observations, agrees=False):
    """The beneficiary's observations on the agency's notice, within the observation period; ``agrees``:
    it accepts the termination, so the agency may confirm it at once. Sent once."""
    _require(user, "projects.answer_termination", termination.project)
    observations = (observations or "").strip()
    if not observations and not agrees:
        raise ProjectError(_("Write your observations, or say that you agree to the termination."))
    with acting_as(user), transaction.atomic():
        _locked_project(termination.project)
        termination = Termination.objects.select_for_update().get(pk=termination.pk)
        if termination.observations_at is not None:
            return termination
        if termination.status != TerminationStatus.NOTIFIED:
            raise ProjectError(_("This termination is not waiting for your observations."))
        if today() > termination.observations_due:
            raise ProjectError(_("The period for observations ended on %(date)s.") % {
                "date": date_format(termination.observations_due)})
        termination.observations = observations
        termination.beneficiary_agrees = bool(agrees)
        termination.observations_at = clock.now()
        termination.save(audit_verb="termination-observations")
        notify(agency_staff(termination.project), "termination_observations",
               {"project": termination.project, "termination": termination})
    return termination


# --- the agency ---------------------------------------------------------------------------------

def send_notice(project, user, reason):
    """The agency's notice: the beneficiary has the call's observation period before it can take effect."""
    _require(user, "projects.manage_project", project)
    reason = _text(reason, _("Give a reason; it is sent to the beneficiary."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(project)
        current = open_termination(project)
        if current is not None:
            if current.origin == TerminationOrigin.NOTICE:
                return current
            raise ProjectError(_("The beneficiary has requested the termination; decide on its request."))
        _terminable(project)
        on = today()
        termination = Termination(project=project, origin=TerminationOrigin.NOTICE, status=TerminationStatus.NOTIFIED,
                                  reason=reason, notified_on=on, opened_by=user,
                                  observations_due=on + timedelta(days=figures.termination_notice_days(project.call)))
        termination.save(audit_verb="termination-notice", audit_reason=reason)
        notify(edit_recipients(project), "termination_notice", {"project": project, "termination": termination})
    return termination


def confirmation_problem(termination, on=None):
    """Why the agency cannot confirm ``termination`` yet ("" when it can)."""
    if termination.status == TerminationStatus.REQUESTED:
        return ""
    if termination.status != TerminationStatus.NOTIFIED:
        return _("This termination is not open.")
    if termination.beneficiary_agrees or (on or today()) > termination.observations_due:
        return ""
    return _("The beneficiary may send observations until %(date)s; the termination can be confirmed after that, "
             "or earlier if the beneficiary agrees.") % {"date": date_format(termination.observations_due)}


def confirm_termination(termination, user, outcome, reason=""):
    """Confirm the termination with its effect on the grant (``outcome``: a :class:`TerminationOutcome`)."""
    _require(user, "projects.manage_project", termination.project)
    if outcome not in TerminationOutcome.values:
        raise ProjectError(_("Choose whether the project is terminated with or without eligible costs."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(termination.project)
        termination = Termination.objects.select_for_update().get(pk=termination.pk)
        if termination.status == TerminationStatus.CONFIRMED:
            return termination
        problem = confirmation_problem(termination)
        if problem:
            raise ProjectError(problem)
        _terminable(project)
        effective = termination.requested_effective_date or today()
        termination.status = TerminationStatus.CONFIRMED
        termination.outcome = outcome
        termination.effective_date = effective
        termination.decision_reason = (reason or "").strip()
        termination.decided_by, termination.decided_at = user, clock.now()
        _grant_effect(project, termination)
        termination.save(audit_verb=f"confirm-termination-{outcome}", audit_reason=termination.decision_reason)
        project.status = OUTCOME_STATUS[outcome]
        project.status_reason = termination.reason
        project.save(audit_verb=f"terminate-{outcome}", audit_reason=termination.reason)
        card = project_card(project)
        if card is not None:
            set_project_status(card, CARD_UNTIL_FINAL_APPROVAL.get(project.status, project.status))
        notify(edit_recipients(project), "termination_decided", {"project": project, "termination": termination})
        if termination.recovery_amount:
            _raise_recovery(project, termination, user)
    return termination


def _raise_recovery(project, termination, user):
    """Without eligible costs: the recovery of what was paid, and its debit note (same transaction)."""
    amount = termination.recovery_amount
    reason = _("Terminated without eligible costs: the final grant is 0; %(amount)s paid is to be returned.") % {
        "amount": format_eur(amount)}
    Payment(project=project, kind=PaymentKind.RECOVERY, sequence=project.payments.count() + 1, amount=amount,
            due=today(), status=PaymentStatus.DUE, status_reason=reason).save(
        audit_verb="recovery-raised", audit_reason=reason)
    issue_debit_note(project, user, reason=reason)


def _grant_effect(project, termination):
    """No further pre-financing; the reports not submitted are cancelled; with eligible costs the final
    report is due after the call's period, without them the final grant is 0 and all paid is recovered."""
    paid = paid_total(project)
    recovered = sum((p.amount for p in project.payments.filter(kind=PaymentKind.RECOVERY, status=PaymentStatus.PAID)),
                    Decimal("0.00"))
    termination.paid_at_termination = paid
    with_costs = termination.outcome == TerminationOutcome.WITH_COSTS
    unpaid = [PaymentKind.PREFINANCING, PaymentKind.FURTHER] + ([] if with_costs else [PaymentKind.BALANCE])
    for payment in project.payments.select_for_update().filter(kind__in=unpaid).exclude(
            status__in=[PaymentStatus.PAID, PaymentStatus.CANCELLED]):
        payment.status = PaymentStatus.CANCELLED
        payment.status_reason = _("Not paid: the project was terminated.")
        payment.save(audit_verb="cancel-on-termination")
        reverse_offsets(payment, payment.status_reason)  # what another project's recovery kept back goes back
    for report in project.reports.select_for_update().filter(status__in=[*EDITABLE_REPORT_STATUSES,
                                                                         ReportStatus.SUBMITTED]):
        if report.status == ReportStatus.SUBMITTED and report.kind == ReportKind.FINAL:
            continue  # not reached: a project is not terminable once its final report is in (TERMINABLE)
        if with_costs and report.kind == ReportKind.FINAL:
            report.period_end = min(report.period_end, termination.effective_date)
            report.due = termination.effective_date + timedelta(
                days=figures.termination_final_report_days(project.call))
            termination.final_report_due = report.due
            report.save(audit_verb="final-report-after-termination")
            continue
        report.status = ReportStatus.CANCELLED
        report.agency_comment = _("The project was terminated.")
        report.save(audit_verb="cancel-on-termination")
    if with_costs and termination.final_report_due is None:
        raise ProjectError(_("The project has no final report to submit; it cannot be terminated with eligible "
                             "costs."))
    if not with_costs:
        termination.final_grant = Decimal("0.00")
        termination.recovery_amount = max(paid - recovered, Decimal("0.00"))


def refuse_termination(termination, user, reason):
    """Reject the beneficiary's request, or withdraw the agency's notice (with the reason)."""
    _require(user, "projects.manage_project", termination.project)
    reason = _text(reason, _("Give a reason; it is sent to the beneficiary."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(termination.project)
        termination = Termination.objects.select_for_update().get(pk=termination.pk)
        if termination.status in (TerminationStatus.REJECTED, TerminationStatus.WITHDRAWN):
            return termination
        if not termination.is_open:
            raise ProjectError(_("This termination is not open."))
        termination.status = (TerminationStatus.REJECTED if termination.origin == TerminationOrigin.REQUEST
                              else TerminationStatus.WITHDRAWN)
        termination.decision_reason = reason
        termination.decided_by, termination.decided_at = user, clock.now()
        termination.save(audit_verb="reject-termination" if termination.status == TerminationStatus.REJECTED
                         else "withdraw-termination-notice", audit_reason=reason)
        notify(edit_recipients(project), "termination_decided", {"project": project, "termination": termination})
    return termination


def record_final_grant(project, amount):
    """The approved final report of a project terminated with eligible costs fixes its final grant."""
    termination = (Termination.objects.select_for_update()
                   .filter(project=project, status=TerminationStatus.CONFIRMED,
                           outcome=TerminationOutcome.WITH_COSTS).first())
    if termination is not None and termination.final_grant != amount:
        termination.final_grant = amount
        termination.save(audit_verb="termination-final-grant")
    return termination
