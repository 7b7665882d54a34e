"""Technical-incident reports: time-stamped on the server, for the application's agency, accepted until
the call's reporting window after the deadline closes."""

from contextlib import ExitStack
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as
from eplus.core.files import stored_upload

from .annexes import check_file
from .errors import ApplicationError
from .models import Application, IncidentReport, IncidentScreenshot
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
