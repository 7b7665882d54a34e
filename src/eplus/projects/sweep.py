"""Periodic work of the projects app, run by ``./run manage sweep`` (idempotent).

- after its end date an ongoing project waits for its final report;
- reminders by e-mail to the contacts with edit rights: on the project end date and one week before
  each report deadline, none once that report is in. Each (project, kind, day, recipient) is logged
  in :class:`ReminderLog` under a unique constraint, so running the sweep twice sends nothing twice.
  A reminder missed on its day (the sweep did not run) is still sent later: up to the deadline it is
  about, or up to two days after the end date;
- reminders of an open debit note to the same contacts: the call's ``recovery_reminder_days_before`` days
  before its due date and ``recovery_reminder_days_after`` days after it, once each (the same log), whatever
  the project's status (a finalised project still owes it); its PDF, when missing, rendered again;
- the letter of a due or paid payment that is missing (its task lost with a killed worker, or the
  file gone) is rendered again.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction

from eplus.core.files import rows_to_render_again
from eplus.core.time import to_brussels

from . import finance, recovery
from .figures import MissingFigure
from .models import (
    CLOSED_STATUSES, OPEN_DEBIT_NOTE_STATUSES, REPORT_IN_STATUSES, DebitNote, Payment, PaymentKind, Project,
    ProjectStatus, ReminderLog, ReportKind,
)
from .notify import notify, reminder_recipients
from .payments import LETTER_STATUSES
from .tasks import render_debit_note, render_payment_letter

REMINDER_DAYS_BEFORE = 7
# An end-date reminder missed on its day (the sweep did not run) is still sent this many days later.
END_DATE_CATCH_UP_DAYS = 2


def due_reminders(project, today):
    """[(kind, on, report, deadline)] of reminders due by ``today`` for ``project``."""
    reports = [r for r in project.reports.all() if r.status not in REPORT_IN_STATUSES]
    final_in = not any(r.kind == ReportKind.FINAL for r in reports)
    found = []
    if not final_in and project.end_date <= today <= project.end_date + timedelta(days=END_DATE_CATCH_UP_DAYS):
        final = next(r for r in reports if r.kind == ReportKind.FINAL)
        if today <= final.due:
            found.append(("end-date", project.end_date, final, final.due))
    for report in reports:
        reminder = finance.reminder_dates(project.end_date, report.due, REMINDER_DAYS_BEFORE)
        on = next(r.on for r in reminder if r.kind == finance.BEFORE_DEADLINE)
        if on <= today <= report.due:
            found.append((f"before-deadline-{report.pk}", on, report, report.due))
    return found


def sweep(now):
    today = to_brussels(now).date()
    counts = {"awaiting_final_report": 0, "reminders_sent": 0}
    for project in (Project.objects.filter(status=ProjectStatus.ONGOING, end_date__lt=today)):
        project.status = ProjectStatus.FINAL_REPORT_AWAITED
        project.save(audit_verb="end-date-passed")
        counts["awaiting_final_report"] += 1
    # A project terminated with eligible costs still owes its final report: its reminders go on.
    closed = [s for s in CLOSED_STATUSES if s != ProjectStatus.TERMINATED_WITH_COSTS]
    projects = Project.objects.exclude(status__in=closed).prefetch_related("reports")
    for project in projects:
        reminders = due_reminders(project, today)
        if not reminders:
            continue
        recipients = reminder_recipients(project)
        for kind, on, report, deadline in reminders:
            for user in recipients:
                try:
                    with transaction.atomic():
                        ReminderLog.objects.create(project=project, kind=kind, on=on, recipient=user.email,
                                                   sent_at=now)
                        template = "reminder_end_date" if kind == "end-date" else "reminder_deadline"
                        notify([user], template, {"project": project, "report": report, "deadline": deadline})
                except IntegrityError:
                    continue  # already sent
                counts["reminders_sent"] += 1
    counts["debit_note_reminders_sent"] = _debit_note_reminders(now, today)
    counts["payment_letters_rendered_again"] = _render_missing_letters(now)
    return counts


def _render_missing_letters(now):
    # A recovery's letter is its debit note (rendered again below).
    missing = rows_to_render_again(Payment.objects.filter(status__in=LETTER_STATUSES).exclude(
        kind=PaymentKind.RECOVERY), "letter", "updated_at", now)
    for pk in missing:
        render_payment_letter.enqueue(pk)
    notes = rows_to_render_again(DebitNote.objects.all(), "pdf", "created_at", now)
    for pk in notes:
        render_debit_note.enqueue(pk)
    return len(missing) + len(notes)


def _debit_note_reminders(now, today):
    sent = 0
    notes = DebitNote.objects.filter(status__in=OPEN_DEBIT_NOTE_STATUSES).select_related(
        "project", "project__call", "project__agency", "project__coordinator")
    for note in notes:
        try:
            reminders = recovery.due_reminders(note, today)
        except MissingFigure:
            continue  # the call's data lacks the day counts: the agency completes it (no guessed default)
        recipients = reminder_recipients(note.project) if reminders else []
        for kind, on in reminders:
            for user in recipients:
                try:
                    with transaction.atomic():
                        ReminderLog.objects.create(project=note.project, kind=f"debit-note-{kind}-{note.pk}", on=on,
                                                   recipient=user.email, sent_at=now)
                        notify([user], f"debit_note_reminder_{kind}", {"project": note.project, "note": note})
                except IntegrityError:
                    continue  # already sent
                sent += 1
    return sent
