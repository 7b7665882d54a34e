"""Decisions and their outbox: the letter of every decided application of a group is rendered and staged,
then the officer releases the staged letters together; selected applications get their grant agreement.

After the release (issue 13, item 8): the coordinator of a selected application may decline the grant until
the agency countersigns; that frees its lump sum in the envelope (committed counts only *selected*
applications) and the agency's staff hear of it. Before countersigning, the agency may also award less than
requested (:func:`reduce_grant`), and a project terminated after the countersignature keeps only what was paid
(:func:`.envelopes.granted`): both free money too. The officer then selects from the reserve list, in rank
order, what now fits in what the envelope has left; the new letter is staged and released from the outbox
like the first decisions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.money import eur, format_eur
from eplus.core.mail import language_of, queue_templated_mail, render_mail
from eplus.core.tasks import enqueue_after_commit
from eplus.core.outbox import queue_mail
from eplus.organisations.models import MANAGER_ROLES, Membership

from .agreements import issue_agreement
from .assessments import consolidated_comments
from .figures import criteria
from .notify import tell_agency_staff
from . import envelopes
from .models import (
    AgreementStatus, Case, CaseState, Decision, DecisionStatus, GrantAgreement, ManualChange, Outcome, SelectionRun,
)
from .ranking import envelope_of, group_cases, lock_group, refuse_before_the_deadline
from .workflow import EvaluationError


def _recipients(application):
    managers = (Membership.objects.filter(organisation_id=application.applicant_id, role__in=MANAGER_ROLES)
                .select_related("user").order_by("pk"))
    return [m.user for m in managers]


def decision_url(case):
    return reverse("evaluation:decision", args=[case.application_id])


def _stage(case, by):
    users = _recipients(case.application)
    language = users[0].email_language if users else settings.LANGUAGE_CODE
    comments = consolidated_comments(case) if case.state == CaseState.SCORED else {}
    context = {"case": case, "application": case.application, "comments": comments,
               "criteria": criteria(case.call), "link": settings.SITE_URL.rstrip("/") + decision_url(case)}
    subject, body = render_mail("evaluation/email/decision", context, language)
    decision = Decision.objects.filter(case=case).first() or Decision(case=case)
    decision.outcome, decision.status, decision.language = case.outcome, DecisionStatus.STAGED, language
    decision.recipients = [u.email for u in users]
    decision.subject, decision.body, decision.comments, decision.staged_by = subject, body, comments, by
    decision.save(audit_verb="stage-decision")
    case.decision_status = DecisionStatus.STAGED
    case.save(audit_verb="stage-decision")
    return decision


def stage_decisions(agency, call, sector, by):
    """Render the decision letter of every decided application of the group; nothing is sent yet.

    Under a lock on the group's cases; a letter already staged for the same outcome is kept as it is."""
    with acting_as(by), transaction.atomic():
        lock_group(agency, call, sector)
        refuse_before_the_deadline(agency, call)
        cases = list(group_cases(agency, call, sector).exclude(outcome="")
                     .exclude(decision_status=DecisionStatus.RELEASED)
                     .select_related("application", "application__applicant", "call", "agency", "decision"))
        if not cases:
            raise EvaluationError(_("There are no decisions to stage; run the selection first."))
        staged = []
        for case in cases:
            current = getattr(case, "decision", None)
            if (current is not None and case.decision_status == DecisionStatus.STAGED
                    and current.outcome == case.outcome):
                staged.append(current)
            else:
                staged.append(_stage(case, by))
    return staged


def _release_one(decision_id, by):
    """Release one staged decision under a lock on it; None when it is no longer staged (released meanwhile)."""
    decision = Decision.objects.select_for_update().filter(pk=decision_id, status=DecisionStatus.STAGED).first()
    if decision is None:
        return None
    decision.status, decision.released_at, decision.released_by = DecisionStatus.RELEASED, clock.now(), by
    decision.save(audit_verb="release-decision")
    case = decision.case
    case.decision_status = DecisionStatus.RELEASED
    case.save(audit_verb="release-decision")
    if case.outcome == Outcome.SELECTED:
        issue_agreement(case)
    return decision


def release(decisions, by):
    """Release the staged decisions together: each letter is queued in the outbox with its release, the
    applicants see it; selected ones get their grant agreement. A decision released meanwhile (a second click,
    another officer) is skipped: nothing is sent twice."""
    released = []
    with acting_as(by):
        for item in decisions:
            with transaction.atomic():
                decision = _release_one(item.pk, by)
                if decision is None:
                    continue
                # The letter goes to the outbox with the release: sent once, when the release commits.
                queue_mail(decision.recipients, decision.subject, decision.body, kind="evaluation/email/decision",
                           language=decision.language, related=decision, agency_code=decision.case.agency.code)
            released.append(decision)
    return released


# --- after the release: declined grants and the reserve list ----------------------------------------------

REASON_MAX = 2000


def _reason(reason, required=True):
    text = (reason or "").strip()
    if required and not text:
        raise ValidationError({"reason": [_("Give the reason; it is kept with the decision.")]})
    if len(text) > REASON_MAX:
        raise ValidationError({"reason": [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX}]})
    return text


def decline_grant(case, reason, by):
    """The coordinator declines the grant of a selected, released application: its agreement is marked
    declined (it can no longer be accepted or countersigned) and its outcome becomes *declined*, which frees
    its lump sum in the envelope. Refused once the agency has countersigned (the project exists).

    Under locks on the group's cases (the group's money changes) and then on the agreement; declining again
    changes nothing."""
    reason = _reason(reason)
    agreement = GrantAgreement.objects.filter(case=case).first()
    if agreement is None or not by.has_perm("evaluation.sign_agreement", agreement):
        raise EvaluationError(_("Only the legal representative or contact person of the coordinator can decline "
                                "the grant."))
    with acting_as(by), transaction.atomic():
        lock_group(case.agency, case.call, case.sector)
        locked = Case.objects.select_related("agency").get(pk=case.pk)
        agreement = GrantAgreement.objects.select_for_update().get(pk=agreement.pk)
        if locked.outcome == Outcome.DECLINED:
            return locked
        if agreement.status == AgreementStatus.COUNTERSIGNED:
            raise EvaluationError(_("The agency has countersigned the agreement and the project has started; ask "
                                    "the agency to end the project instead."))
        if locked.outcome != Outcome.SELECTED or locked.decision_status != DecisionStatus.RELEASED:
            raise EvaluationError(_("Only a grant that was awarded and released can be declined."))
        agreement.status, agreement.declined_at, agreement.declined_by = AgreementStatus.DECLINED, clock.now(), by
        agreement.decline_reason = reason
        agreement.save(audit_verb="decline-grant", audit_reason=reason)
        locked.outcome = Outcome.DECLINED
        locked.save(audit_verb="decline-grant", audit_reason=reason)
        tell_agency_staff(locked, "evaluation/email/grant_declined",
                          {"reason": reason, "link": settings.SITE_URL.rstrip("/") + reverse(
                              "evaluation:ranking", args=[locked.call_id, locked.sector])}, related=agreement)
    return locked


def reduce_grant(case, amount, reason, by):
    """The agency awards less than the application requests, before it countersigns: the agreement's grant
    becomes ``amount`` (its PDF is rendered again) and the money between frees in the envelope.

    Rule applied (Erasmus+ Programme Guide, Part C, "Grant award"): the grant awarded may never exceed the
    amount requested; in calls with fixed lump sums (the call's ``lump_sum_options``) the grant stays one of
    them. An agreement the coordinator had already accepted goes back to them: they accept the new amount.
    Under locks on the group's cases and then on the agreement; the same amount again changes nothing."""
    reason = _reason(reason)
    agreement = GrantAgreement.objects.filter(case=case).select_related("case__call", "case__agency").first()
    if agreement is None:
        raise EvaluationError(_("Only a grant with a released decision and an agreement can be reduced."))
    try:
        new_amount = eur(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({"amount": [_("Enter the grant in euros, for example 250000.00.")]}) from None
    with acting_as(by), transaction.atomic():
        lock_group(case.agency, case.call, case.sector)
        agreement = GrantAgreement.objects.select_for_update().select_related("case__call").get(pk=agreement.pk)
        if agreement.lump_sum == new_amount:
            return agreement
        if agreement.status in (AgreementStatus.COUNTERSIGNED, AgreementStatus.DECLINED):
            raise EvaluationError(_("The agreement is countersigned or declined; its grant can no longer be "
                                    "changed here."))
        options = agreement.case.call.lump_sums
        if new_amount <= 0 or new_amount >= agreement.lump_sum:
            raise ValidationError({"amount": [_(
                "Enter an amount above zero and below the present grant of %(grant)s.")
                % {"grant": format_eur(agreement.lump_sum)}]})
        if options and new_amount not in options:
            raise ValidationError({"amount": [_(
                "This call's grants are fixed lump sums: choose one of %(options)s.")
                % {"options": ", ".join(format_eur(o) for o in options if o < agreement.lump_sum)}]})
        was_accepted = agreement.status == AgreementStatus.ACCEPTED
        agreement.lump_sum = new_amount
        agreement.status, agreement.accepted_at, agreement.accepted_by = AgreementStatus.ISSUED, None, None
        agreement.pdf, agreement.sha256 = "", ""
        agreement.save(audit_verb="reduce-grant", audit_reason=reason)
        from .tasks import render_agreement_pdf

        enqueue_after_commit(render_agreement_pdf, agreement.pk)
        link = settings.SITE_URL.rstrip("/") + decision_url(agreement.case)
        for user in _recipients(agreement.case.application):
            queue_templated_mail("evaluation/email/grant_reduced",
                                 {"agreement": agreement, "application": agreement.case.application,
                                  "reason": reason, "was_accepted": was_accepted, "link": link},
                                 user.email, language_of(user), related=agreement,
                                 agency_code=agreement.case.agency.code)
    return agreement


def reserve_list(agency, call, sector):
    """``(left, [(case, fits)])``: what the envelope has left, and the group's reserve list in rank order with
    whether each application's lump sum fits in it now. ``left`` is None when no envelope is set."""
    cases = list(group_cases(agency, call, sector).filter(outcome=Outcome.RESERVE)
                 .select_related("application", "application__applicant").order_by("rank", "pk"))
    envelope = envelopes.find(agency, call, sector)
    if envelope is None:
        return None, [(c, False) for c in cases]
    left = envelopes.figures(envelope).left
    return left, [(c, (c.application.lump_sum or 0) <= left) for c in cases]


def select_from_reserve(case, by, reason=""):
    """Select an application of the released reserve list because money is free (a grant declined, money moved
    in): its lump sum must fit in what the envelope has left, and passing over a higher-ranked reserve that fits
    too needs a reason. Recorded as a manual change of the selection; the new decision letter is staged for the
    outbox, where the officer releases it (and the agreement is issued) as for the first decisions.

    Under a lock on the group's cases and then on its envelope (as the selection and transfers take them)."""
    reason = _reason(reason, required=False)
    with acting_as(by), transaction.atomic():
        lock_group(case.agency, case.call, case.sector)
        amount = envelope_of(case.agency, case.call, case.sector, lock=True)
        case = Case.objects.select_related("application", "application__applicant", "call", "agency").get(pk=case.pk)
        if case.outcome != Outcome.RESERVE:
            raise EvaluationError(_("Only an application on the reserve list can be selected from it."))
        if case.decision_status != DecisionStatus.RELEASED:
            raise EvaluationError(_("The decisions of this selection are not released yet; change the outcome "
                                    "in the ranking instead."))
        left = amount - envelopes.committed(case.agency, case.call, case.sector)
        requested = case.application.lump_sum or 0
        if requested > left:
            raise EvaluationError(_("The envelope has %(left)s left but this application requests %(requested)s; "
                                    "free money first (a declined grant, a transfer into the envelope).")
                                  % {"left": format_eur(max(left, 0)), "requested": format_eur(requested)})
        better = [c for c in group_cases(case.agency, case.call, case.sector)
                  .filter(outcome=Outcome.RESERVE, rank__lt=case.rank or 0).select_related("application")
                  .order_by("rank") if (c.application.lump_sum or 0) <= left]
        if better and not reason:
            raise ValidationError({"reason": [_(
                "%(number)s ranks higher on the reserve list and fits too; give the reason for passing over it.")
                % {"number": better[0]}]})
        run = SelectionRun.objects.filter(agency=case.agency, call=case.call, sector=case.sector).first()
        note = reason or _("Selected from the reserve list in rank order: money became free.")
        ManualChange(run=run, case=case, old_outcome=Outcome.RESERVE, new_outcome=Outcome.SELECTED, reason=note,
                     changed_by=by).save(audit_verb="select-from-reserve", audit_reason=note)
        case.outcome = Outcome.SELECTED
        case.save(audit_verb="select-from-reserve", audit_reason=note)
        run.used = envelopes.committed(case.agency, case.call, case.sector)
        run.save(audit_verb="select-from-reserve")
        decision = _stage(case, by)
    return decision
