"""Technical-incident reports: time-stamped on the server, for the application's agency, accepted until
the call's reporting window after the deadline closes."""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.audit import acting_as

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
    checked = [(f, *check_file(f)) for f in files]
    with acting_as(user), transaction.atomic():
        Application.objects.select_for_update().filter(pk=application.pk).exists()
        # A second click on Send (or a retried request) finds the report already made: nothing new.
        same = IncidentReport.objects.filter(application=application, user=user, description=description).first()
        if same is not None:
            return same
        report = IncidentReport(application=application, call=application.call, agency=application.agency,
                                user=user, description=description, reported_at=now)
        report.save(audit_verb="report-incident")
        for uploaded, content_type, size, digest in checked:
            shot = IncidentScreenshot(report=report, original_name=uploaded.name[:255], size=size, sha256=digest,
                                      content_type=content_type)
            shot.file.save(Path(uploaded.name).name, uploaded, save=False)
            shot.save()
    return report
