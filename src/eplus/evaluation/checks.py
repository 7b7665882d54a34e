"""The formal check: the eligibility engine's verdict on the submitted snapshot, stored on the case when it
is opened (and again on the officer's explicit re-run, a POST), and the officer's confirmation."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as

from . import workflow
from .models import Case, CaseState, DecisionStatus, FormalStatus
from .timing import assessment_open, require_assessment_open


def eligibility_verdict(case):
    """The eligibility engine's verdict on the case's submitted snapshot, as JSON (nothing is saved)."""
    from eplus.applications.eligibility import call_rules, eligibility_input, other_applications
    from eplus.programme import rules as engine
    from eplus.programme.eligibility import country_infos

    application = case.application
    snapshot = case.submission.snapshot if case.submission_id else {}
    section_data = {key: (value.get("data") or {}, value.get("version") or 0)
                    for key, value in (snapshot.get("sections") or {}).items()}
    submitted_at = case.submission.submitted_at if case.submission_id else None
    verdict = engine.evaluate(
        eligibility_input(application, submitted_at=submitted_at, section_data=section_data),
        call_rules(application), country_infos(), other_applications(application))
    return {"eligible": verdict.eligible, "checked_at": clock.now().isoformat(),
            "checks": [{"rule": c.rule, "severity": c.severity, "passed": c.passed, "message": str(c.message),
                        "section": c.section} for c in verdict.checks]}


def rerun_eligibility(case, user=None):
    """Run the engine again (the officer's POST) and store its verdict on the case; returns the verdict."""
    require_assessment_open(case)
    data = eligibility_verdict(case)
    with acting_as(user), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        locked.formal_verdict = data
        locked.save(audit_verb="rerun-eligibility")
    case.formal_verdict = data
    return data


def confirm_formal_check(case, eligible, reason, user):
    """The officer's confirmation: eligible (assessment may start) or ineligible with a reason.

    Under a lock on the case; confirming again what is already recorded changes nothing."""
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise ValidationError({"reason": [_("Give the reason why the application is ineligible.")]})
    target = FormalStatus.ELIGIBLE if eligible else FormalStatus.INELIGIBLE
    with acting_as(user), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.formal_status == target and locked.formal_reason == reason:
            return workflow.mirror(case, locked)
        engine_says = (locked.formal_verdict or {}).get("eligible")
        if eligible and engine_says is False and not reason:
            raise ValidationError({"reason": [_(
                "The eligibility engine found problems; give the reason why you still confirm the application "
                "as eligible.")]})
        require_assessment_open(locked)
        workflow.require("confirm-eligible" if eligible else "confirm-ineligible", locked.state)
        locked.formal_status, locked.formal_reason = target, reason
        locked.formal_checked_at, locked.formal_checked_by = clock.now(), user
        locked.state = CaseState.ASSESSMENT if eligible else CaseState.CLOSED
        if not eligible:
            locked.fundable = False
        locked.save(audit_verb="formal-check", audit_reason=reason)
    return workflow.mirror(case, locked)


def formal_check_open(case, now=None):
    """Whether the officer may still record or change the formal check (the page offers the form then)."""
    return (case.decision_status != DecisionStatus.RELEASED and assessment_open(case, now)
            and (workflow.allowed("confirm-eligible", case.state) or workflow.allowed("confirm-ineligible", case.state)))
