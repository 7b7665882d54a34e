"""Opening the agency's cases: once the call's deadline has passed, one Case per submitted application,
on its current submission, with the eligibility engine's verdict computed once and stored.

Called by the sweep (``evaluation/sweep.py``) and before the similarity check; the pages only read.
The case's application is unique (a one-to-one), so two sweeps at once cannot open a case twice.
"""

from django.db import IntegrityError, transaction

from eplus.applications.models import Application, Status
from eplus.core import time as clock

from .checks import eligibility_verdict
from .models import Case


def pending_applications(now=None, call=None):
    """Submitted applications whose call's deadline has passed and that have no case yet."""
    pending = Application.objects.filter(status=Status.SUBMITTED, case__isnull=True, submissions__is_current=True,
                                         call__deadline__lte=now or clock.now())
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
