"""Redress (issue 13, item 9): the applicant asks the agency to review a released rejection, within the
period the call's data gives; an officer of that agency records the outcome. Both are audited (on the
request and on the application, whose trail the project dossier carries) and shown on the case page.

Rules applied — DOMAIN.md says nothing on redress, so these follow the Erasmus+ Programme Guide, Part C
("Procedures for appeal" / redress: an applicant that considers the award decision wrong may ask the
agency that took it for a review within the period the agency's notification states):

- only a *rejected* application (ineligible or not selected) may ask. A reserve-list application is not
  rejected (it may still be funded from the reserve list, see ``decisions.select_from_reserve``); if the
  reserve list closes without it, its decision becomes a rejection and it may ask then;
- the period is ``other_rules.redress_request_days`` of the call (calendar days, counted from the day after
  the decision was released, Brussels time; the last day is open until 23:59:59 Brussels). The Programme
  Guide leaves the length to the notification; the data says 30 days, marked "verify";
- one request per decision (a unique constraint, taken under the decision's row lock: a double click or two
  parallel requests give the first request);
- the outcome is recorded once: *upheld* (the decision stands) or *revised* (the agency finds the request
  justified). The manual change of the selection is closed once decisions are released, so *revised* of a
  scored application puts it on the group's (released) **reserve list**: from there the officer selects it
  with the existing ``decisions.select_from_reserve`` when it fits in what the envelope has left (rank order,
  the envelope's rules in one place), and the new letter is staged and released from the outbox like any
  decision. An application rejected at the formal check has no scores to rank: *revised* then records the
  agency's finding only, and its new assessment is arranged outside this step (the officer's note says how).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as, record
from eplus.core.mail import language_of, queue_templated_mail

from .notify import tell_agency_staff
from .models import Case, CaseState, Decision, DecisionStatus, Outcome, RedressRequest, RedressStatus
from .ranking import lock_group
from .workflow import EvaluationError

GROUNDS_MAX = 4000
REASON_MAX = 4000
OUTCOMES = (RedressStatus.UPHELD, RedressStatus.REVISED)


def request_days(call):
    """Days an applicant has to ask for a review (the call's data); None when the call gives none."""
    days = (call.other_rules or {}).get("redress_request_days")
    return int(days) if days else None


def last_day(decision):
    """The last day (a date, Brussels) on which a review of ``decision`` may be asked; None when the call
    gives no period or the decision is not released."""
    days = request_days(decision.case.call)
    if days is None or decision.released_at is None:
        return None
    return clock.to_brussels(decision.released_at).date() + timedelta(days=days)


def closes_at(decision):
    day = last_day(decision)
    return None if day is None else clock.end_of_day_brussels(day)


def may_be_reviewed(decision):
    """A released rejection (see the module's rules)."""
    return (decision.status == DecisionStatus.RELEASED and decision.outcome == Outcome.REJECTED
            and decision.case.outcome == Outcome.REJECTED)


def is_open(decision, at=None):
    """A review may still be asked: a released rejection, within the period, none asked yet."""
    end = closes_at(decision)
    return (may_be_reviewed(decision) and end is not None and (at or clock.now()) <= end
            and not RedressRequest.objects.filter(decision=decision).exists())


def _text(value, field, limit, missing):
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [missing]})
    if len(text) > limit:
        raise ValidationError({field: [_("Keep it under %(n)s characters.") % {"n": limit}]})
    return text


def format_day(day):
    """'30 April 2026' in the active language."""
    return date_format(day, "j F Y")


def _check_period(decision):
    if not may_be_reviewed(decision):
        raise EvaluationError(_("A review can be asked only of a released decision that rejects the application."))
    day = last_day(decision)
    if day is None:
        raise EvaluationError(_("The call's data gives no period for asking for a review; contact the agency."))
    if clock.now() > closes_at(decision):
        raise EvaluationError(_("The period for asking for a review ended on %(day)s (Brussels time).")
                              % {"day": format_day(day)})


def request_review(decision, grounds, user):
    """Ask for a review of ``decision`` on ``grounds``: the RedressRequest (the first one when one exists).

    Only someone who may submit the application for the applicant; only a released rejection; within the
    call's period; grounds required. The agency's staff are told by e-mail."""
    grounds = _text(grounds, "grounds", GROUNDS_MAX, _("Give the grounds for the review: what you consider wrong "
                                                       "in the decision and why."))
    if not user.has_perm("evaluation.request_review", decision):
        raise EvaluationError(_("Only the applicant's legal representative or contact person can ask for a review."))
    with acting_as(user), transaction.atomic():
        locked = (Decision.objects.select_for_update(of=("self",))
                  .select_related("case__call", "case__agency", "case__application").get(pk=decision.pk))
        existing = RedressRequest.objects.filter(decision=locked).first()
        if existing is not None:
            return existing  # a second click, a parallel request: the first one stands
        _check_period(locked)
        redress = RedressRequest(decision=locked, grounds=grounds, requested_by=user, requested_at=clock.now())
        redress.save(audit_verb="request-review", audit_reason=grounds)
        record(locked.case.application, "event", verb="request-review", reason=grounds,
               agency_code=locked.case.agency.code)
        _tell_agency(redress)
    return redress


def record_outcome(redress, outcome, reason, officer):
    """The agency's outcome of the review: ``upheld`` or ``revised`` with the reason the applicant reads.

    Staff of the case's agency only; recorded once (the same outcome again returns it, another is refused).
    The requester is told by e-mail in their language."""
    if not officer.has_perm("evaluation.decide_review", redress):
        raise PermissionDenied(_("Only the staff of the agency that took the decision can record the outcome."))
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": [_("Choose whether the decision is upheld or revised.")]})
    reason = _text(reason, "reason", REASON_MAX, _("Give the reason for the outcome; the applicant will read it."))
    case = redress.decision.case
    with acting_as(officer), transaction.atomic():
        lock_group(case.agency, case.call, case.sector)  # a revision may change the group's outcomes
        locked = (RedressRequest.objects.select_for_update(of=("self",))
                  .select_related("decision__case__agency", "decision__case__application", "requested_by")
                  .get(pk=redress.pk))
        if locked.status == outcome:
            return locked
        if not locked.is_open:
            raise EvaluationError(_("The outcome of this review was already recorded on %(at)s.")
                                  % {"at": clock.format_brussels(locked.decided_at)})
        locked.status, locked.outcome_reason = outcome, reason
        locked.decided_by, locked.decided_at = officer, clock.now()
        locked.save(audit_verb="decide-review", audit_reason=reason)
        if outcome == RedressStatus.REVISED:
            _to_reserve(locked.decision.case, reason)
        record(locked.decision.case.application, "event", verb="decide-review", reason=reason,
               changes={"review": [RedressStatus.REQUESTED.value, outcome]},
               agency_code=locked.decision.case.agency.code)
        _tell_requester(locked)
    return locked


def moves_to_reserve(case):
    """A revision puts the case on the reserve list: a scored application still rejected."""
    return case.state == CaseState.SCORED and case.outcome == Outcome.REJECTED


def _to_reserve(case, reason):
    case = Case.objects.get(pk=case.pk)
    if moves_to_reserve(case):
        case.outcome = Outcome.RESERVE
        case.save(audit_verb="revise-after-review", audit_reason=reason)


# --- e-mails ------------------------------------------------------------------------------------------------

def _site():
    return settings.SITE_URL.rstrip("/")


def _tell_agency(redress):
    """Each active staff member of the agency hears that a request arrived, in their language."""
    case = redress.decision.case
    tell_agency_staff(case, "evaluation/email/redress_request",
                      {"redress": redress, "last_day": last_day(redress.decision),
                       "link": _site() + reverse("evaluation:redress_request", args=[redress.pk])}, related=redress)


def _tell_requester(redress):
    user = redress.requested_by
    if user is None or not user.email:
        return
    case = Case.objects.select_related("application", "agency").get(pk=redress.decision.case_id)  # as revised
    link = _site() + reverse("evaluation:decision", args=[case.application_id])
    queue_templated_mail("evaluation/email/redress_outcome",
                         {"redress": redress, "case": case, "application": case.application, "link": link,
                          "user": user},
                         user.email, language_of(user), related=redress, agency_code=case.agency.code)
