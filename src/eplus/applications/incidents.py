"""Technical-incident reports: time-stamped on the server, for the application's agency, accepted until
the call's reporting window after the deadline closes; the agency accepts a report (its applicant may
then submit for the call's late-submission window) or rejects it with a reason."""

from contextlib import ExitStack
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.files import stored_upload
from eplus.core.mail import language_of, queue_templated_mail

from .annexes import check_file
from .errors import ApplicationError
from .models import Application, IncidentReport, IncidentScreenshot, IncidentStatus
from .rules import require

INCIDENT_HOURS_DEFAULT = 2


def incident_hours(call):
    """The hours after the deadline within which the call accepts incident reports (the call's data)."""
    return (call.other_rules or {}).get("technical_incident_report_hours", INCIDENT_HOURS_DEFAULT)


def incident_window_closes(call):
    return call.deadline + timedelta(hours=incident_hours(call))


def report_incident(user, application, description, files=()):
    """A technical-incident report, time-stamped on the server, for the application's agency."""
    require(user, "applications.report_incident", application)
    now = clock.now()
    if now >= incident_window_closes(application.call):
        raise ApplicationError(_("Technical problems must be reported within %(hours)s hours after the deadline; "
                                 "that time has passed. Contact your National Agency directly.")
                               % {"hours": incident_hours(application.call)})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": [_("Describe what happened.")]})
    checked = [(uploaded, check_file(uploaded, "screenshots")) for uploaded in files]
    folder = f"applications/{application.pk}/incidents"
    with ExitStack() as stack:
        stored = [(stack.enter_context(stored_upload(uploaded, check, folder)), check) for uploaded, check in checked]
        with acting_as(user), transaction.atomic():
            Application.objects.select_for_update().filter(pk=application.pk).exists()
            # A second click on Send (or a retried request) finds the report already made: nothing new.
            same = IncidentReport.objects.filter(application=application, user=user, description=description).first()
            if same is not None:
                for upload, _check in stored:
                    upload.discard()
                return same
            report = IncidentReport(application=application, call=application.call, agency=application.agency,
                                    user=user, description=description, reported_at=now)
            report.save(audit_verb="report-incident")
            for upload, check in stored:
                shot = IncidentScreenshot(report=report, original_name=check.download_name, size=check.size,
                                          sha256=check.sha256, content_type=check.content_type)
                shot.file.name = upload.name
                shot.save()
    return report


def late_submission_hours(call):
    """The hours an applicant may still submit after the agency accepts its incident report (the call's
    data; None when the call gives none, and then no report can be accepted)."""
    return (call.other_rules or {}).get("late_submission_after_incident_hours")


def decide_incident(report, officer, *, accept, reason=""):
    """The agency accepts the report (its applicant may submit until ``late_until``) or rejects it with a
    reason; the reporter is told by e-mail. Decided once: a repeated or concurrent decision returns the
    first one (and a different one is refused)."""
    require_decider(officer, report)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": [_("Give the reason for rejecting the report; the applicant will read it.")]})
    hours = late_submission_hours(report.call)
    if accept and not hours:
        raise ApplicationError(_("The call's data gives no late-submission window, so the report cannot be "
                                 "accepted here; ask an agency administrator to add it to the call."))
    status = IncidentStatus.ACCEPTED if accept else IncidentStatus.REJECTED
    with acting_as(officer), transaction.atomic():
        locked = IncidentReport.objects.select_for_update(of=("self",)).select_related("application", "call", "agency",
                                                                           "user").get(pk=report.pk)
        if locked.status == status:
            return locked  # a second click or a parallel request: decided already
        if locked.status != IncidentStatus.REPORTED:
            at = {"at": clock.format_brussels(locked.decided_at)}
            if locked.status == IncidentStatus.ACCEPTED:
                raise ApplicationError(_("This report was already accepted on %(at)s.") % at)
            raise ApplicationError(_("This report was already rejected on %(at)s.") % at)
        now = clock.now()
        locked.status, locked.decided_at, locked.decided_by, locked.decision_reason = status, now, officer, reason
        locked.late_until = now + timedelta(hours=hours) if accept else None
        locked.save(audit_verb="accept-incident" if accept else "reject-incident", audit_reason=reason)
        _tell_reporter(locked)
    return locked


def require_decider(user, report):
    if not user.has_perm("applications.decide_incident", report):
        raise PermissionDenied(_("Only the staff of the agency that received the report can decide it."))


def _tell_reporter(report):
    if report.user is None or not report.user.email:
        return
    application = report.application
    context = {"report": report, "application": application, "user": report.user,
               "late_until": clock.format_brussels(report.late_until) if report.late_until else "",
               "link": settings.SITE_URL.rstrip("/") + (application.get_absolute_url() if application else "/")}
    template = "accepted" if report.status == IncidentStatus.ACCEPTED else "rejected"
    queue_templated_mail(f"applications/email/incident_{template}", context, report.user.email,
                         language_of(report.user), related=report, agency_code=report.agency.code)
