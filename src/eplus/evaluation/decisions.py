"""Decisions and their outbox: the letter of every decided application of a group is rendered and staged,
then the officer releases the staged letters together; selected applications get their grant agreement."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.mail import render_mail
from eplus.core.outbox import queue_mail
from eplus.organisations.models import MANAGER_ROLES, Membership

from .agreements import issue_agreement
from .assessments import consolidated_comments
from .figures import criteria
from .models import CaseState, Decision, DecisionStatus, Outcome
from .ranking import group_cases, lock_group
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
