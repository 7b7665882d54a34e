"""Reminders with a moved clock: on the end date and one week before each report deadline, to the contacts
with edit rights who are not the legal representative (who hears only when nobody else edits), each in
their language; none once the report is in; running the sweep twice sends nothing twice."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.management import call_command
from freezegun import freeze_time

from eplus.projects import workflow
from eplus.projects.models import ProjectStatus, ReminderLog, ReportKind
from eplus.projects.sweep import sweep

from .test_services import fill

RIGA_MORNING = 7  # the sweep runs early in the morning, Brussels time


def at(day):
    return datetime.fromisoformat(day).replace(hour=RIGA_MORNING, tzinfo=ZoneInfo("Europe/Brussels"))


def sent_on(day):
    before = len(mail.outbox)
    counts = sweep(at(day))
    return counts, mail.outbox[before:]


def test_reminders_on_the_right_days_to_editors_only_and_never_twice(ka210, people):
    # ka210: progress report due 2026-03-30, end date 2026-08-31, final report due 2026-10-30.
    assert ka210.reports.get(kind=ReportKind.PROGRESS).due.isoformat() == "2026-03-30"
    assert sent_on("2026-03-22")[1] == []
    counts, messages = sent_on("2026-03-23")  # one week before the progress report deadline
    assert [m.to for m in messages] == [["coordinator@example.org"]]
    assert "2026-03-30" in messages[0].subject and counts["reminders_sent"] == 1
    assert sent_on("2026-03-23")[1] == []  # the same day again: nothing twice

    assert sent_on("2026-08-30")[1] == []
    counts, messages = sent_on("2026-08-31")  # the end date
    assert [m.to for m in messages] == [["coordinator@example.org"]]
    assert "end date" in messages[0].subject and "2026-10-30" in messages[0].body
    assert sent_on("2026-08-31")[1] == []

    counts, messages = sent_on("2026-09-01")  # the day after: the project waits for its final report
    assert messages == [] and counts["awaiting_final_report"] == 1
    ka210.refresh_from_db()
    assert ka210.status == ProjectStatus.FINAL_REPORT_AWAITED

    assert sent_on("2026-10-22")[1] == []
    counts, messages = sent_on("2026-10-23")  # one week before the final report deadline
    assert [m.to for m in messages] == [["coordinator@example.org"]]
    assert "2026-10-30" in messages[0].subject
    assert sent_on("2026-10-24")[1] == []  # already sent for this deadline
    assert ReminderLog.objects.filter(project=ka210).count() == 3


def test_no_reminder_once_the_report_is_in(ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    assert sent_on("2026-08-31")[1] == []
    assert sent_on("2026-10-23")[1] == []
    # After an update request the report is no longer in: the reminder comes back.
    workflow.request_update(final, people["officer"], "Add the participants' countries.")
    assert [m.to for m in sent_on("2026-10-23")[1]] == [["coordinator@example.org"]]


def test_reminders_go_to_the_contacts_with_edit_rights_not_the_legal_representative(ka210, people):
    """The legal representative (the coordinator here) hears only while nobody else has edit rights."""
    from eplus.projects.people import grant_access

    assert [m.to[0] for m in sent_on("2026-03-23")[1]] == ["coordinator@example.org"]  # the only editor
    grant_access(ka210, people["partner"], "edit", people["coordinator"])  # a partner's contact person
    grant_access(ka210, people["member"], "view", people["coordinator"])  # view rights: no reminders
    recipients = sorted(m.to[0] for m in sent_on("2026-08-31")[1])
    assert recipients == ["partner@example.org"]


def test_each_reminder_is_in_its_recipients_language(ka210, people):
    from eplus.projects.people import grant_access

    partner = people["partner"]
    partner.email_language = "lv"
    partner.save()
    people["member"].email_language = "en"
    people["member"].save()
    grant_access(ka210, partner, "edit", people["coordinator"])
    grant_access(ka210, people["member"], "edit", people["coordinator"])
    messages = {m.to[0]: m for m in sent_on("2026-08-31")[1]}
    assert sorted(messages) == ["member@example.org", "partner@example.org"]
    assert messages["member@example.org"].subject != messages["partner@example.org"].subject
    assert "end date" in messages["member@example.org"].subject


def test_manage_sweep_is_idempotent(ka210, people):
    with freeze_time(at("2026-08-31")):
        call_command("sweep", stdout=open("/dev/null", "w"))
        first = len(mail.outbox)
        call_command("sweep", stdout=open("/dev/null", "w"))
    assert first >= 1
    assert len(mail.outbox) == first
    assert ReminderLog.objects.filter(project=ka210, kind="end-date").count() == 1
