"""The iCalendar (RFC 5545) feed of a user's deadlines, behind a secret token in its address."""

from datetime import timedelta
from datetime import timezone as dt_timezone

from django.db import transaction
from django.utils.translation import gettext as _

from eplus.core import time as clock

from .models import CalendarToken, ReportStatus


def calendar_token(user):
    return CalendarToken.objects.get_or_create(user=user)[0]


def new_calendar_token(user):
    """A new secret address for the user's feed; any earlier address stops working."""
    with transaction.atomic():
        CalendarToken.objects.filter(user=user).delete()
        return CalendarToken.objects.create(user=user)


def _ical_escape(text):
    return (str(text).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n"))


def _fold(line, limit=75):
    """Fold a content line at ``limit`` octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out, raw = [], line.encode("utf-8")
    while len(raw) > limit:
        cut = limit
        while (raw[cut] & 0xC0) == 0x80:
            cut -= 1
        out.append(raw[:cut].decode("utf-8"))
        raw = b" " + raw[cut:]
    out.append(raw.decode("utf-8"))
    return "\r\n".join(out)


def ical_feed(user, projects):
    """An iCalendar (RFC 5545) text of the user's deadlines: project end dates and report due dates."""
    stamp = clock.now().astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//eplus//projects//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_ical_escape(_('Erasmus+ project deadlines'))}"]

    def event(uid, day, summary):
        lines.extend(["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", f"SUMMARY:{_ical_escape(summary)}",
                      "END:VEVENT"])

    for project in projects:
        event(f"project-{project.pk}-end@eplus", project.end_date,
              _("%(number)s: project end date") % {"number": project.number})
        for report in project.reports.all():
            if report.status == ReportStatus.CANCELLED:
                continue
            event(f"report-{report.pk}@eplus", report.due,
                  _("%(number)s: %(report)s due") % {"number": project.number, "report": report.get_kind_display()})
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
