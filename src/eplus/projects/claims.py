"""Claims on the final-report decision and reopenings of a closed project (issue 14, item 2).

Rule applied (Erasmus+ lump-sum grant agreement, read with the Programme Guide, DOMAIN silent): the
beneficiary may contest the agency's assessment of the final report within the call's
``final_report_claim_days`` of its notification (the decision's day, Brussels; the last day included).

- **A claim** (:func:`file_claim`) is filed by a project member with edit rights, with its grounds. The
  agency rejects it with a reason (:func:`reject_claim`), or accepts it (:func:`accept_claim`): a new
  version of the final report opens, with the content of the one decided on, due ``final_report_claim_days``
  later; it is submitted (a new declaration on honour is required, as for any submission) and assessed
  again like a final report (experts included).
- **A reopening** (:func:`reopen_decision`) is the agency's own action, with a reason (a wrong balance, a
  late result review): the new version is opened as submitted, with the earlier report's content and
  declaration and the earlier scores as the starting point of a new assessment.
- **A finding applied** (:func:`apply_finding`): a check's or audit's finding that proposes a grant reduction
  or a recovery, once the beneficiary has answered it or its period to answer has ended, reopens the decision
  (as above) with the finding's amount taken off the grant the scores give (``FinalAssessment.adjustment``);
  the officer confirms the scores and approves, and the money follows as for any new decision. Rule applied
  (lump-sum grant agreement, checks and audits): the grant is reduced for what the findings show was not done
  as agreed, a recovery is the same reduction once the balance was paid — either way the final grant less
  the amount, the balance recomputed.
- **The new decision** (:func:`settle_new_decision`, called by ``workflow.approve_assessment`` for such a
  version) supersedes the earlier one (``FinalAssessment.superseded_by``: the earlier one stays readable),
  and the money follows: with a debit note, :func:`eplus.projects.recovery.revise_recovery` cancels or
  reduces it (the balance due then counts what was already given back); without one, a positive balance
  becomes due (a new balance payment when the earlier one was paid) and a negative one raises a recovery.

Every transition runs under the project's row lock, is idempotent and audited.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.money import format_eur

from . import figures, finance
from .base import ProjectError, today
from .models import (
    TERMINATED_STATUSES, AssessmentStatus, ClaimOrigin, ClaimStatus, DebitNote, FinalAssessment,
    FinalReportClaim, Payment, PaymentKind, PaymentStatus, Project, ProjectStatus, Report, ReportKind,
    ReportStatus,
)
from .notify import agency_staff, edit_recipients, notify
from .payments import letters_after_commit, payment_due_date
from .recovery import revise_recovery
from .reports import recompute

OPEN_CLAIM_STATUSES = (ClaimStatus.FILED, ClaimStatus.ACCEPTED)
CLOSED_PROJECT_STATUSES = (ProjectStatus.FINALISED, ProjectStatus.TERMINATED_WITH_COSTS)


def _reason(reason, message):
    reason = (reason or "").strip()
    if not reason:
        raise ProjectError(message)
    return reason


def current_decision(project):
    """The final-report decision in force: the latest approved assessment no newer one superseded."""
    return (FinalAssessment.objects.filter(project=project, status=AssessmentStatus.APPROVED, superseded_by=None)
            .select_related("report").order_by("-decided_at", "-pk").first())


def decisions(project):
    """Every approved final-report decision, newest first (the superseded ones too: nothing is lost)."""
    return list(FinalAssessment.objects.filter(project=project, status=AssessmentStatus.APPROVED)
                .select_related("report", "superseded_by").order_by("-decided_at", "-pk"))


def open_claim(project):
    return FinalReportClaim.objects.filter(project=project, status__in=OPEN_CLAIM_STATUSES).first()


def claim_deadline(project, decision=None):
    """The last day a claim may be filed on ``decision`` (the current one by default), or None."""
    decision = decision or current_decision(project)
    if decision is None or decision.decided_at is None:
        return None
    notified = clock.to_brussels(decision.decided_at).date()
    return notified + timedelta(days=figures.final_report_claim_days(project.call))


def claim_problem(project, on=None):
    """Why a claim cannot be filed now ("" when it can)."""
    decision = current_decision(project)
    if project.status not in CLOSED_PROJECT_STATUSES or decision is None:
        return _("A claim can be filed only once the agency has decided on the final report.")
    if open_claim(project) is not None:
        return _("A claim on this decision is already open.")
    if FinalReportClaim.objects.filter(project=project, assessment=decision, origin=ClaimOrigin.BENEFICIARY).exists():
        return _("A claim on this decision has already been filed.")
    deadline = claim_deadline(project, decision)
    if (on or today()) > deadline:
        return _("The period for a claim on this decision ended on %(day)s.") % {"day": deadline.isoformat()}
    return ""


def _locked_project(project):
    return Project.objects.select_for_update().select_related("call", "agency").get(pk=project.pk)


def file_claim(project, user, reason):
    """The beneficiary contests the final-report decision with its grounds. Filing again (a double click)
    returns the claim already filed."""
    if not user.has_perm("projects.file_claim", project):
        raise PermissionDenied(_("Only project members with edit rights can file a claim."))
    reason = _reason(reason, _("Explain what the claim is about: which assessment or figure you contest and why."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(project)
        decision = current_decision(project)
        existing = FinalReportClaim.objects.filter(project=project, assessment=decision, filed_by=user,
                                                   origin=ClaimOrigin.BENEFICIARY, reason=reason).first()
        if existing is not None:
            return existing
        problem = claim_problem(project)
        if problem:
            raise ProjectError(problem)
        claim = FinalReportClaim(project=project, origin=ClaimOrigin.BENEFICIARY, report=decision.report,
                                 assessment=decision, reason=reason, filed_by=user)
        claim.save(audit_verb="file-claim")
        notify(agency_staff(project), "claim_filed", {"project": project, "claim": claim})
    return claim


def _locked_claim(claim, user):
    if not user.has_perm("projects.decide_claim", claim.project):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    _locked_project(claim.project)
    return FinalReportClaim.objects.select_for_update().select_related("project", "report").get(pk=claim.pk)


def reject_claim(claim, user, reason):
    reason = _reason(reason, _("Give the reason for the rejection; it is sent to the beneficiary."))
    with acting_as(user), transaction.atomic():
        claim = _locked_claim(claim, user)
        if claim.status == ClaimStatus.REJECTED:
            return claim
        if claim.status != ClaimStatus.FILED:
            raise ProjectError(_("This claim has already been decided."))
        claim.status, claim.decision_reason = ClaimStatus.REJECTED, reason
        claim.decided_by, claim.decided_at = user, clock.now()
        claim.save(audit_verb="reject-claim", audit_reason=reason)
        notify(edit_recipients(claim.project), "claim_decided", {"project": claim.project, "claim": claim})
    return claim


def _new_version(claim, status):
    """The new version of the final report a claim or reopening opens: the earlier one's content."""
    earlier = claim.report
    project = claim.project
    sequence = (Report.objects.filter(project=project).order_by("-sequence").values_list("sequence", flat=True)
                .first() or 0) + 1
    report = Report(project=project, kind=ReportKind.FINAL, sequence=sequence, period_start=earlier.period_start,
                    period_end=earlier.period_end, due=today() + timedelta(days=figures.final_report_claim_days(
                        project.call)), status=status, language=earlier.language, sections=earlier.sections,
                    prefinancing_used=earlier.prefinancing_used)
    if status == ReportStatus.SUBMITTED:  # a reopening: the content and the declaration as decided on
        report.declaration, report.declaration_name = earlier.declaration, earlier.declaration_name
        report.declaration_sha256, report.declaration_type = earlier.declaration_sha256, earlier.declaration_type
        report.submitted_at, report.received_on, report.version = earlier.submitted_at, today(), earlier.version
    report.save(audit_verb="open-claim-version", audit_reason=claim.reason)
    return report


def accept_claim(claim, user, reason=""):
    """Accept the claim: a new version of the final report opens for the beneficiary, with the content of
    the one decided on, to resubmit and be assessed again."""
    with acting_as(user), transaction.atomic():
        claim = _locked_claim(claim, user)
        if claim.status in (ClaimStatus.ACCEPTED, ClaimStatus.DECIDED):
            return claim
        if claim.status != ClaimStatus.FILED:
            raise ProjectError(_("This claim has already been decided."))
        project = claim.project
        claim.claim_report = _new_version(claim, ReportStatus.DRAFT)
        claim.status, claim.decision_reason = ClaimStatus.ACCEPTED, (reason or "").strip()
        claim.decided_by, claim.decided_at = user, clock.now()
        claim.save(audit_verb="accept-claim", audit_reason=claim.decision_reason)
        if project.status not in TERMINATED_STATUSES:
            project.status = ProjectStatus.FINAL_REPORT_AWAITED
            project.save(audit_verb="reopen-for-claim", audit_reason=claim.reason)
        notify(edit_recipients(project), "claim_decided", {"project": project, "claim": claim})
    return claim


def reopen_decision(project, user, reason):
    """The agency reopens the final-report decision of a closed project, with a reason: a new version of the
    final report, submitted as decided on, with a new assessment starting from the earlier scores."""
    if not user.has_perm("projects.decide_claim", project):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    reason = _reason(reason, _("Give the reason for reopening the decision; it is sent to the beneficiary."))
    with acting_as(user), transaction.atomic():
        project = _locked_project(project)
        claim = open_claim(project)
        if claim is not None:
            if claim.origin == ClaimOrigin.AGENCY and claim.reason == reason:
                return claim  # the same reopening again
            raise ProjectError(_("A claim on this decision is already open."))
        decision = current_decision(project)
        if project.status not in CLOSED_PROJECT_STATUSES or decision is None:
            raise ProjectError(_("Only a decided final report can be reopened."))
        claim = FinalReportClaim(project=project, origin=ClaimOrigin.AGENCY, report=decision.report,
                                 assessment=decision, reason=reason, filed_by=user, status=ClaimStatus.ACCEPTED,
                                 decided_by=user, decided_at=clock.now())
        claim.claim_report = _new_version(claim, ReportStatus.SUBMITTED)
        claim.save(audit_verb="reopen-decision", audit_reason=reason)
        FinalAssessment(report=claim.claim_report, project=project, overall_score=decision.overall_score,
                        wp_scores=decision.wp_scores, comments=decision.comments,
                        reduction_percent=decision.reduction_percent, reduction=decision.reduction,
                        final_grant=decision.final_grant, paid=decision.paid, balance=decision.balance,
                        decision_due=finance.decision_due(today(), figures.final_report_decision_days(project.call)),
                        ).save(audit_verb="reopen-assessment", audit_reason=reason)
        if project.status not in TERMINATED_STATUSES:
            project.status = ProjectStatus.FINAL_REPORT_SUBMITTED
            project.save(audit_verb="reopen-decision", audit_reason=reason)
        notify(edit_recipients(project), "claim_decided", {"project": project, "claim": claim})
    return claim


def claim_of(report):
    """The claim or reopening whose new version ``report`` is, or None."""
    return FinalReportClaim.objects.filter(claim_report=report).first()


def settle_new_decision(claim, assessment, bal, user):
    """Once the version a claim opened is approved (inside ``workflow.approve_assessment``): the earlier
    decision is superseded and the payments follow the new balance ``bal`` (final grant less what was paid).
    Returns the debit note when one is issued, reduced or cancelled, else None."""
    claim = FinalReportClaim.objects.select_for_update().get(pk=claim.pk)
    earlier = FinalAssessment.objects.select_for_update().get(pk=claim.assessment_id)
    if earlier.superseded_by_id is None:
        earlier.superseded_by = assessment
        earlier.save(audit_verb="supersede-decision", audit_reason=claim.reason)
    claim.status = ClaimStatus.DECIDED
    claim.save(audit_verb="claim-decided")
    project = claim.project
    reason = _("New decision on the final report (%(origin)s): final grant %(grant)s.") % {
        "origin": claim.get_origin_display().lower(), "grant": format_eur(assessment.final_grant)}
    # Any debit note, cancelled ones too: what was given back on them counts (revise_recovery nets it).
    if DebitNote.objects.filter(project=project).exists() or bal.amount < 0:
        return revise_recovery(project, bal.amount, user, reason)
    _balance_due(project, bal.amount, reason)
    return None


def _balance_due(project, amount, reason):
    """No recovery: what is left to pay becomes due (a new balance payment when the earlier was paid)."""
    open_balances = list(Payment.objects.select_for_update().filter(project=project, kind=PaymentKind.BALANCE)
                         .exclude(status__in=(PaymentStatus.PAID, PaymentStatus.CANCELLED)))
    if amount <= 0:
        for payment in open_balances:
            payment.amount, payment.status, payment.status_reason = Decimal("0.00"), PaymentStatus.CANCELLED, reason
            payment.save(audit_verb="balance-cancelled", audit_reason=reason)
        return
    payment = open_balances[0] if open_balances else Payment(
        project=project, kind=PaymentKind.BALANCE, sequence=project.payments.count() + 1)
    payment.amount, payment.at_most, payment.status = amount, False, PaymentStatus.DUE
    payment.due, payment.status_reason, payment.letter = payment_due_date(project), reason, ""
    payment.save(audit_verb="balance-after-new-decision", audit_reason=reason)
    letters_after_commit([payment])


def finding_problem(check, on=None):
    """Why the finding of ``check`` cannot be applied now ("" when it can)."""
    from .models import CheckStatus, ProposedAction

    if check.proposed_action == ProposedAction.NONE or not check.proposed_amount:
        return _("This check proposes no reduction or recovery.")
    if check.applied_in_id is not None:
        return _("This finding has already been applied.")
    if check.status != CheckStatus.DONE:
        return _("The check is not done yet.")
    if not check.shared or check.answer_due is None:
        return _("Share the findings with the beneficiary first: it may answer them before they are applied.")
    if check.answered_at is None and (on or today()) <= check.answer_due:
        return _("The beneficiary may answer the findings until %(day)s; apply them after its answer or that "
                 "day.") % {"day": check.answer_due.isoformat()}
    if current_decision(check.project) is None:
        return _("The final report has not been decided yet: take the finding into account in its assessment.")
    return ""


def apply_finding(check, user):
    """Reopen the final decision with the finding's proposed amount taken off the grant (a new assessment to
    confirm and approve). Applying again returns the same reopening."""
    from .models import ProjectCheck

    if not user.has_perm("projects.decide_claim", check.project):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    with acting_as(user), transaction.atomic():
        _locked_project(check.project)
        check = ProjectCheck.objects.select_for_update().select_related("project__call", "project__agency").get(
            pk=check.pk)
        if check.applied_in_id is not None:
            return check.applied_in
        problem = finding_problem(check)
        if problem:
            raise ProjectError(problem)
        reason = _("%(kind)s of %(day)s: %(action)s of %(amount)s. %(findings)s") % {
            "kind": check.get_kind_display(), "day": (check.done_on or today()).isoformat(),
            "action": check.get_proposed_action_display(), "amount": format_eur(check.proposed_amount),
            "findings": check.findings}
        claim = reopen_decision(check.project, user, reason)
        assessment = FinalAssessment.objects.select_for_update().get(report=claim.claim_report)
        assessment.adjustment = assessment.adjustment + check.proposed_amount
        assessment.adjustment_reason = "\n".join(r for r in (assessment.adjustment_reason, reason) if r)
        recompute(assessment, check.project)
        assessment.save(audit_verb="apply-finding", audit_reason=reason)
        check.applied_in = claim
        check.save(audit_verb="apply-finding", audit_reason=reason)
    return claim
