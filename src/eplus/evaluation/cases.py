"""Opening the agency's cases: once the call's deadline has passed, one Case per submitted application,
on its current submission, with the eligibility engine's verdict computed once and stored.

Called by the sweep (``evaluation/sweep.py``) and before the similarity check; the pages only read.
The case's application is unique (a one-to-one), so two sweeps at once cannot open a case twice.

Beside them, which opened cases still need experts (:func:`without_two_experts`): the home page counts them
and the workspace lists them, by the same definition.
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from eplus.applications.models import Application, Status
from eplus.applications.rules import open_late_windows
from eplus.core import time as clock

from .checks import eligibility_verdict
from .models import Assignment, AssignmentRole, Case, CaseState, FormalStatus
from .timing import assessable


def pending_applications(now=None, call=None):
    """Submitted applications whose call's deadline has passed and that have no case yet (one whose
    accepted incident report still lets it submit waits until that window closes)."""
    now = now or clock.now()
    pending = Application.objects.filter(status=Status.SUBMITTED, case__isnull=True, submissions__is_current=True,
                                         call__deadline__lte=now).exclude(
        Exists(open_late_windows(now, application_id=OuterRef("pk"))))
    if call is not None:
        pending = pending.filter(call=call)
    return pending.select_related("agency", "call", "action").distinct()


def open_case(application):
    """The case of ``application`` (opened now with its verdict, or the one opened meanwhile)."""
    submission = application.submissions.filter(is_current=True).first()
    case = Case(application=application, agency=application.agency, call=application.call,
                sector=application.sector, submission=submission)
    case.formal_verdict = eligibility_verdict(case) if submission is not None else {}
    try:
        with transaction.atomic():
            case.save(audit_verb="open-case")
    except IntegrityError:  # another sweep opened it a moment ago
        return Case.objects.get(application=application), False
    return case, True


def open_cases(now=None, call=None):
    """A case for every application of a passed deadline that has none yet; returns the cases opened."""
    opened = []
    for application in pending_applications(now, call):
        case, created = open_case(application)
        if created:
            opened.append(case)
    return opened


def follow_late_submissions():
    """Cases opened before their applicant submitted again in an accepted incident's window: while the
    formal check has not started, the case follows the submission that now counts (with its verdict).
    Returns (cases moved, cases left because their formal check was already done)."""
    moved = left = 0
    stale = Case.objects.filter(application__submissions__is_current=True, application__submissions__incident__isnull=False) \
        .exclude(submission__is_current=True).select_related("application", "application__call").distinct()
    for case in stale:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            current = locked.application.submissions.filter(is_current=True).first()
            if current is None or locked.submission_id == current.pk:
                continue
            if locked.formal_status != FormalStatus.PENDING:
                left += 1
                continue
            locked.submission = current
            locked.formal_verdict = eligibility_verdict(locked)
            locked.save(audit_verb="follow-late-submission")
            moved += 1
    return moved, left


# --- the cases still waiting for their experts ------------------------------------------------------------

WITHOUT_TWO_EXPERTS = Q(state=CaseState.ASSESSMENT, n_independent__lt=2)
"""On cases annotated by :func:`with_independent_experts`: being assessed with fewer than two experts."""


def with_independent_experts(cases):
    """``cases`` annotated with ``n_independent``: their first and second experts, leaving out one who declared
    a conflict of interest (the case needs another)."""
    independent = (Assignment.objects.filter(case_id=OuterRef("pk"),
                                             role__in=[AssignmentRole.FIRST, AssignmentRole.SECOND])
                   .exclude(declared_at__isnull=False, no_conflict=False)
                   .order_by().values("case_id").annotate(n=Count("pk")).values("n"))
    return cases.annotate(n_independent=Coalesce(Subquery(independent, output_field=IntegerField()), Value(0)))


def without_two_experts(cases, now=None):
    """The cases of ``cases`` being assessed (the assessment may run: ``timing.assessable``) that have fewer
    than two experts free of a declared conflict."""
    return with_independent_experts(assessable(cases, now)).filter(WITHOUT_TWO_EXPERTS)
