"""Recovery as a procedure (issue 14, item 3): the debit note issued with the final decision (KA210 60 000,
48 000 paid, score 42 -> 45 000 final, 3 000 to recover; due 30 days after notification), offsetting against
amounts still due to the beneficiary, partial repayments, overpayment refused, write-off, revision by a newer
decision (score 52 -> 60 000 final, 12 000 balance due, the recovery cancelled), reminders before and after
the due date (once each), the exports, the pages and who may do what (404/403 by guessing URLs)."""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time

from eplus.core.audit import history
from eplus.programme.models import Call
from eplus.projects import figures, payments, recovery, reports, workflow
from eplus.projects.base import ProjectError
from eplus.projects.models import (
    DebitNote, DebitNoteStatus, Offset, Payment, PaymentKind, PaymentStatus, ReminderLog, ReportKind,
)
from eplus.projects.queries import paid_total
from eplus.projects.sweep import sweep
from tests.factories import log_in_reauthenticated, make_officer

from .test_services import fill, mark_results_submitted

D = Decimal
NOTIFIED = "2026-11-02 10:00:00"  # UTC: the officer approves the final report that morning


@pytest.fixture
def frozen():
    with freeze_time(NOTIFIED) as clock:
        yield clock


def approve_with_score_42(project, people, capture, language="en"):
    """KA210 60 000: the 48 000 pre-financing paid, the final report scored 42 and approved."""
    payments.mark_paid(project.payments.get(kind=PaymentKind.PREFINANCING), people["officer"],
                       paid_on=date(2025, 9, 10))
    final = project.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1", language=language)
    workflow.submit_report(final, people["coordinator"])
    workflow.save_assessment(final, people["officer"], overall_score=D("42"))
    mark_results_submitted(project)
    with capture(execute=True):
        assessment = workflow.approve_assessment(final, people["officer"])
    assert (assessment.final_grant, assessment.paid, assessment.balance) == (
        D("45000.00"), D("48000.00"), D("-3000.00"))
    return DebitNote.objects.get(project=project)


def repay(note, user, amount, on, ref):
    return recovery.record_repayment(DebitNote.objects.get(pk=note.pk), user, D(amount), date.fromisoformat(on), ref)


# --- issuing ---------------------------------------------------------------------------------------

def test_the_final_decision_issues_a_debit_note_of_3000_due_30_days_after_notification(
        ka210, people, frozen, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.amount, note.offset_amount, note.repaid, note.status) == (
        D("3000.00"), D("0.00"), D("0.00"), DebitNoteStatus.ISSUED)
    assert (note.notified_on, note.due_on) == (date(2026, 11, 2), date(2026, 12, 2))  # + debit_note_payment_days 30
    assert note.payment_reference == f"RC-{ka210.number}-01"
    assert note.language == "en"
    assert "45\u202f000.00 EUR" in note.reason and "48\u202f000.00 EUR" in note.reason
    recovery_payment = ka210.payments.get(kind=PaymentKind.RECOVERY)
    assert note.payment == recovery_payment
    assert (recovery_payment.amount, recovery_payment.status, recovery_payment.due) == (
        D("3000.00"), PaymentStatus.DUE, date(2026, 12, 2))
    assert not recovery_payment.letter  # the debit note is its letter
    note.refresh_from_db()
    content = note.pdf.read()
    assert content.startswith(b"%PDF") and note.sha256 == hashlib.sha256(content).hexdigest()
    assert history(note).filter(verb="issue-debit-note").count() == 1
    decision = [m for m in mail.outbox if people["coordinator"].email in m.to]
    assert len(decision) == 1  # one e-mail: the decision carries the debit note
    assert note.payment_reference in decision[0].body and "3000.00 EUR" in decision[0].body
    assert "2026-12-02" in decision[0].body
    # Issuing again (a double click on the officer's button) gives the same note.
    assert recovery.issue_debit_note(ka210, people["officer"]).pk == note.pk
    assert DebitNote.objects.filter(project=ka210).count() == 1


def test_the_debit_note_is_rendered_in_the_final_reports_language(ka210, people, frozen, monkeypatch,
                                                                    django_capture_on_commit_callbacks):
    seen = []
    real = payments.render_pdf

    def spy(template, context):
        seen.append((template, translation.get_language()))
        return real(template, context)

    monkeypatch.setattr(payments, "render_pdf", spy)
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks, language="lv")
    assert note.language == "lv"
    assert ("projects/debit_note_pdf.html", "lv") in seen


def test_call_without_the_debit_note_figures_is_a_missing_figure(programme):
    call = Call.objects.get(year=2026, action__code="KA210", round=1)
    assert figures.debit_note_payment_days(call) == 30
    assert figures.recovery_reminder_days_before(call) == 7
    assert figures.recovery_reminder_days_after(call) == 15
    call.other_rules = {k: v for k, v in call.other_rules.items() if not k.startswith(("debit", "recovery"))}
    for read in (figures.debit_note_payment_days, figures.recovery_reminder_days_before,
                 figures.recovery_reminder_days_after):
        with pytest.raises(figures.MissingFigure):
            read(call)


# --- offsetting ------------------------------------------------------------------------------------

def test_a_payment_still_due_to_the_beneficiary_is_offset_first(ka210, ka220, people, frozen,
                                                               django_capture_on_commit_callbacks):
    # The same coordinator's KA220 project at the same agency still has its 100 000 pre-financing due.
    other = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    assert other.status == PaymentStatus.DUE
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.offset_amount, note.amount, note.status) == (D("3000.00"), D("0.00"), DebitNoteStatus.PAID)
    offset = Offset.objects.get(debit_note=note)
    assert (offset.payment, offset.amount) == (other, D("3000.00"))
    other.refresh_from_db()
    # The pre-financing keeps its amount (it counts as paid to the KA220 project); 97 000 is transferred.
    assert (other.amount, other.status) == (D("100000.00"), PaymentStatus.DUE)
    assert "97\u202f000.00 EUR to transfer" in other.status_reason and note.payment_reference in other.status_reason
    assert history(other).filter(verb="offset").count() == 1
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    assert (recovery_payment.amount, recovery_payment.status) == (D("3000.00"), PaymentStatus.PAID)
    # The KA220 project's pre-financing, once made, counts whole.
    payments.mark_paid(other, people["officer"])
    assert paid_total(ka220) == D("100000.00")


def test_a_smaller_amount_due_is_settled_by_the_offset_and_the_rest_is_asked_for(
        ka210, ka220, people, frozen, django_capture_on_commit_callbacks):
    other = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    Payment.objects.filter(pk=other.pk).update(amount=D("1000.00"))  # only 1 000 still due to the beneficiary
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.offset_amount, note.amount, note.status) == (D("1000.00"), D("2000.00"), DebitNoteStatus.ISSUED)
    other.refresh_from_db()
    assert (other.status, other.paid_on) == (PaymentStatus.PAID, date(2026, 11, 2))
    assert history(other).filter(verb="offset-settled").count() == 1
    assert Payment.objects.get(pk=note.payment_id).amount == D("3000.00")


def test_another_coordinators_or_agencys_payments_are_not_offset(ka210, people, frozen,
                                                                django_capture_on_commit_callbacks):
    from .conftest import make_application

    from eplus.projects.creation import create_project

    other_app = make_application("KA210", lump_sum="60000", applicant=people["partner_org"], months=12)
    stranger = create_project(other_app, signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1),
                              end_date=date(2026, 8, 31), lump_sum=D("60000"), created_by=people["officer"])
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.offset_amount, note.amount) == (D("0.00"), D("3000.00"))
    assert stranger.payments.get(kind=PaymentKind.PREFINANCING).status == PaymentStatus.DUE


# --- repayments, write-off ------------------------------------------------------------------------

def test_partial_repayment_then_the_rest_and_overpayment_refused(ka210, people, frozen,
                                                                 django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    officer = people["officer"]
    note = repay(note, officer, "1000", "2026-11-02", "ref-1")
    assert (note.repaid, note.outstanding, note.status) == (D("1000.00"), D("2000.00"), DebitNoteStatus.PARTLY_PAID)
    assert repay(note, officer, "1000", "2026-11-02", "ref-1").repaid == D("1000.00")  # the same form twice: once
    assert note.repayments.count() == 1
    with pytest.raises(ProjectError, match="more than the 2\u202f000.00 EUR still outstanding"):
        repay(note, officer, "2500", "2026-11-02", "ref-2")
    with pytest.raises(ProjectError, match="more than 0"):
        repay(note, officer, "0", "2026-11-02", "ref-3")
    with pytest.raises(ProjectError, match="future"):
        repay(note, officer, "100", "2026-11-03", "ref-4")
    assert Payment.objects.get(pk=note.payment_id).status == PaymentStatus.DUE
    note = repay(note, officer, "2000", "2026-11-02", "ref-5")
    assert (note.repaid, note.outstanding, note.status) == (D("3000.00"), D("0.00"), DebitNoteStatus.PAID)
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    assert (recovery_payment.status, recovery_payment.paid_on) == (PaymentStatus.PAID, date(2026, 11, 2))
    with pytest.raises(ProjectError, match="no longer open"):
        repay(note, officer, "1", "2026-11-02", "ref-6")
    verbs = list(history(note).exclude(verb="").order_by("pk").values_list("verb", flat=True))
    assert verbs == ["issue-debit-note", "render-debit-note", "debit-note-partly-paid", "debit-note-paid"]
    assert [r.amount for r in note.repayments.all()] == [D("1000.00"), D("2000.00")]


def test_write_off_with_a_reason(ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    note = repay(note, people["officer"], "500", "2026-11-02", "ref-1")
    with pytest.raises(ProjectError, match="reason"):
        recovery.write_off(note, people["officer"], "  ")
    note = recovery.write_off(note, people["officer"], "The organisation has been wound up.")
    assert (note.status, note.outstanding) == (DebitNoteStatus.WRITTEN_OFF, D("2500.00"))
    again = recovery.write_off(DebitNote.objects.get(pk=note.pk), people["officer"], "Again")
    assert again.status_reason == "The organisation has been wound up."
    assert history(note).filter(verb="write-off").count() == 1
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    # What was received counts as recovered (review 14, #6); the note keeps its full figures.
    assert (recovery_payment.status, recovery_payment.amount) == (PaymentStatus.PAID, D("500.00"))
    assert (note.amount, note.repaid) == (D("3000.00"), D("500.00"))
    assert "Written off: The organisation has been wound up." == recovery_payment.status_reason
    with pytest.raises(ProjectError, match="no longer open"):
        repay(note, people["officer"], "100", "2026-11-02", "ref-2")


def test_a_recovery_is_not_marked_paid_as_a_payment(ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    with pytest.raises(ProjectError, match="debit note"):
        payments.mark_paid(Payment.objects.get(pk=note.payment_id), people["officer"])


def test_the_beneficiary_cannot_act_on_the_debit_note(ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    for user in (people["coordinator"], people["member"], make_officer("LT01")):
        with pytest.raises(PermissionDenied):
            repay(note, user, "100", "2026-11-02", "ref-x")
        with pytest.raises(PermissionDenied):
            recovery.write_off(note, user, "No")
        with pytest.raises(PermissionDenied):
            recovery.revise_recovery(ka210, D("12000"), user, "Claim")
    assert DebitNote.objects.get(pk=note.pk).repaid == D("0.00")


# --- a newer final decision ------------------------------------------------------------------------

def test_a_claim_raising_the_score_to_52_cancels_the_recovery_and_12000_becomes_due(
        ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    grant, bal = reports.compute_assessment(ka210, overall_score=D("52"))
    assert (grant.amount, bal.amount) == (D("60000.00"), D("12000.00"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revised = recovery.revise_recovery(ka210, bal.amount, people["officer"], "Claim upheld: score 52.")
    assert (revised.pk, revised.status) == (note.pk, DebitNoteStatus.CANCELLED)
    balance = ka210.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status, balance.at_most) == (D("12000.00"), PaymentStatus.DUE, False)
    assert balance.letter.read().startswith(b"%PDF")
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    assert (recovery_payment.status, recovery_payment.status_reason) == (PaymentStatus.CANCELLED,
                                                                         "Claim upheld: score 52.")
    assert history(note).filter(verb="cancel-debit-note", reason="Claim upheld: score 52.").count() == 1
    assert history(balance).filter(verb="balance-after-revision").count() == 1
    assert [m.to for m in mail.outbox] == [["coordinator@example.org"]]
    # The same revision again (a retried request) changes nothing.
    recovery.revise_recovery(ka210, bal.amount, people["officer"], "Claim upheld: score 52.")
    assert history(balance).filter(verb="balance-after-revision").count() == 1
    assert ka210.payments.filter(kind=PaymentKind.BALANCE).count() == 1
    assert ka210.payments.get(kind=PaymentKind.BALANCE).amount == D("12000.00")


def test_what_was_paid_back_is_returned_with_the_balance(ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    repay(note, people["officer"], "1000", "2026-11-02", "ref-1")
    recovery.revise_recovery(ka210, D("12000.00"), people["officer"], "Claim upheld: score 52.")
    assert ka210.payments.get(kind=PaymentKind.BALANCE).amount == D("13000.00")  # 12 000 + the 1 000 paid back


def test_a_smaller_recovery_reduces_the_debit_note(ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    repay(note, people["officer"], "1000", "2026-11-02", "ref-1")
    note = recovery.revise_recovery(ka210, D("-2000.00"), people["officer"], "Check: 46 000 final.")
    assert (note.amount, note.repaid, note.outstanding, note.status) == (
        D("2000.00"), D("1000.00"), D("1000.00"), DebitNoteStatus.PARTLY_PAID)
    assert Payment.objects.get(pk=note.payment_id).amount == D("2000.00")
    assert history(note).filter(verb="reduce-debit-note").count() == 1
    note = recovery.revise_recovery(ka210, D("-1000.00"), people["officer"], "Check: 47 000 final.")
    assert (note.amount, note.status) == (D("1000.00"), DebitNoteStatus.PAID)
    assert Payment.objects.get(pk=note.payment_id).status == PaymentStatus.PAID


def test_a_recovery_reduced_below_what_was_paid_back_returns_the_difference(
        ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    repay(note, people["officer"], "2000", "2026-11-02", "ref-1")
    note = recovery.revise_recovery(ka210, D("-1000.00"), people["officer"], "Check: 47 000 final.")
    assert note.status == DebitNoteStatus.CANCELLED
    balance = ka210.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status) == (D("1000.00"), PaymentStatus.DUE)  # 2 000 paid back, 1 000 owed


# --- reminders -------------------------------------------------------------------------------------

def _sweep_on(day):
    before = len(mail.outbox)
    counts = sweep(datetime.fromisoformat(day).replace(hour=7, tzinfo=ZoneInfo("Europe/Brussels")))
    return counts, mail.outbox[before:]


def test_reminders_seven_days_before_and_fifteen_after_the_due_date_once_each(
        ka210, people, django_capture_on_commit_callbacks):
    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert note.due_on == date(2026, 12, 2)
    assert _sweep_on("2026-11-24")[1] == []
    counts, sent = _sweep_on("2026-11-25")  # 7 days before
    assert [m.to for m in sent] == [["coordinator@example.org"]] and counts["debit_note_reminders_sent"] == 1
    assert note.payment_reference in sent[0].subject and "2026-12-02" in sent[0].body
    assert "3000.00 EUR" in sent[0].body
    assert _sweep_on("2026-11-26")[1] == []  # once
    assert _sweep_on("2026-12-16")[1] == []
    counts, sent = _sweep_on("2026-12-17")  # 15 days after
    assert [m.to for m in sent] == [["coordinator@example.org"]] and "overdue" in sent[0].subject
    assert _sweep_on("2026-12-18")[1] == []
    assert ReminderLog.objects.filter(project=ka210, kind__startswith="debit-note-").count() == 2


def test_no_reminder_once_the_debit_note_is_paid(ka210, people, django_capture_on_commit_callbacks):
    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
        repay(note, people["officer"], "3000", "2026-11-02", "ref-1")
    assert _sweep_on("2026-11-25")[1] == [] and _sweep_on("2026-12-17")[1] == []


# --- pages, files, exports and who may see them ------------------------------------------------------

def test_pages_and_exports_for_the_beneficiary_and_the_officer(client, ka210, people, frozen,
                                                              django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    page_url = reverse("projects:debit_note", args=[ka210.pk, note.pk])
    pdf_url = reverse("projects:debit_note_pdf", args=[ka210.pk, note.pk])
    log_in_reauthenticated(client, people["officer"])
    response = client.get(page_url)
    assert response.status_code == 200
    form_ref = response.context["repayment_form"].initial["request_ref"]
    data = {"action": "repayment", "repayment-amount": "1000.00", "repayment-received_on": "2026-11-02",
            "repayment-request_ref": form_ref}
    assert client.post(page_url, data).status_code == 302
    assert client.post(page_url, data).status_code == 302  # the same form again: recorded once
    assert DebitNote.objects.get(pk=note.pk).repaid == D("1000.00")
    refused = client.post(page_url, {**data, "repayment-amount": "2500.00", "repayment-request_ref": "other"})
    assert refused.status_code == 200 and "still outstanding" in refused.content.decode()
    bad = client.post(page_url, {**data, "repayment-amount": "lots", "repayment-request_ref": "other"})
    assert bad.status_code == 200 and "Amount received" in bad.content.decode()
    assert client.post(page_url, {"action": "write-off", "write-off-reason": ""}).status_code == 200
    agency_page = client.get(reverse("projects:agency_project", args=[ka210.pk])).content.decode()
    assert note.payment_reference in agency_page
    csv = client.get(reverse("projects:agency_payments_export")).content.decode()
    assert f'{ka210.number},debit-note,1,3000.00,no,2026-12-02,partly-paid,"{note.payment_reference}: Final grant' in csv
    assert f"{ka210.number},repayment,1,1000.00,no,,received,{note.payment_reference},2026-11-02" in csv

    for who in ("coordinator", "member", "partner"):
        log_in_reauthenticated(client, people[who])
        page = client.get(page_url)
        assert page.status_code == 200 and "1000.00" in page.content.decode(), who
        assert "Record the repayment" not in page.content.decode()
        assert client.post(page_url, {**data, "repayment-request_ref": f"by-{who}"}).status_code == 403, who
        assert b"".join(client.get(pdf_url).streaming_content).startswith(b"%PDF")
        detail = client.get(reverse("projects:detail", args=[ka210.pk])).content.decode()
        assert note.payment_reference in detail and "Partly paid" in detail
    csv = client.get(reverse("projects:payments_export", args=[ka210.pk])).content.decode()
    assert f"{ka210.number},debit-note,1,3000.00," in csv and f"{ka210.number},repayment,1,1000.00," in csv
    assert DebitNote.objects.get(pk=note.pk).repaid == D("1000.00")

    for user in (people["outsider"], make_officer("LT01")):
        log_in_reauthenticated(client, user)
        for url in (page_url, pdf_url):
            assert client.get(url).status_code == 404, url
            assert client.post(url, data).status_code == 404, url
        assert note.payment_reference not in client.get(reverse("projects:agency_payments_export")).content.decode()
    client.logout()
    assert client.get(page_url).status_code == 302  # to the log-in page


def test_another_projects_note_is_not_found_under_this_project(client, ka210, ka220, people, frozen,
                                                             django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    log_in_reauthenticated(client, people["officer"])
    assert client.get(reverse("projects:debit_note", args=[ka220.pk, note.pk])).status_code == 404
    assert client.get(reverse("projects:debit_note", args=[ka210.pk, note.pk + 1000])).status_code == 404


def test_the_xlsx_export_lists_the_debit_note_and_its_repayments(client, ka210, people,
                                                                  django_capture_on_commit_callbacks):
    import io

    from openpyxl import load_workbook

    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
        repay(note, people["officer"], "1000", "2026-11-02", "ref-1")
    log_in_reauthenticated(client, people["coordinator"])
    response = client.get(reverse("projects:payments_export_xlsx", args=[ka210.pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    mine = [(r[1], r[3], r[6], r[8].date() if r[8] else None) for r in rows[1:] if r[1] in ("debit-note", "repayment")]
    assert mine == [("debit-note", 3000, "partly-paid", None), ("repayment", 1000, "received", date(2026, 11, 2))]


def test_the_officer_issues_the_debit_note_of_a_recovery_that_has_none(client, ka210, people, frozen, mailoutbox):
    # A recovery raised without a debit note (before this procedure existed, or by another procedure).
    payments.mark_paid(ka210.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    raised = Payment.objects.create(project=ka210, kind=PaymentKind.RECOVERY, sequence=3, amount=D("3000.00"),
                                    due=date(2026, 11, 30), status=PaymentStatus.DUE, status_reason="Old recovery")
    url = reverse("projects:agency_project", args=[ka210.pk])
    log_in_reauthenticated(client, people["coordinator"])
    assert client.post(url, {"action": "issue-debit-note", "payment": raised.pk}).status_code == 404
    assert not DebitNote.objects.filter(project=ka210).exists()
    log_in_reauthenticated(client, people["officer"])
    assert "Issue the debit note" in client.get(url).content.decode()
    assert client.post(url, {"action": "issue-debit-note", "payment": raised.pk}).status_code == 302
    assert client.post(url, {"action": "issue-debit-note", "payment": raised.pk}).status_code == 302  # twice: once
    note = DebitNote.objects.get(project=ka210)
    assert (note.payment, note.amount, note.due_on, note.reason) == (raised, D("3000.00"), date(2026, 12, 2),
                                                                     "3\u202f000.00 EUR to be returned.")
    notices = [m for m in mailoutbox if note.payment_reference in m.subject]
    assert [m.to for m in notices] == [["coordinator@example.org"]]


# --- at the same moment (real PostgreSQL transactions in two threads) ------------------------------

def _postgres(connection):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _refused(call):
    try:
        return call()
    except ProjectError as exc:
        return str(exc)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_one_repayment_per_form_and_never_more_than_outstanding(
        ka210, people, django_capture_on_commit_callbacks):
    from django.db import connection

    from eplus.projects.base import today
    from tests.concurrency import run_at_once

    _postgres(connection)
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    colleague = make_officer("LV01")
    on = today()
    run_at_once([lambda: recovery.record_repayment(DebitNote.objects.get(pk=note.pk), people["officer"], D("1000"),
                                                   on, "same-form"),
                 lambda: recovery.record_repayment(DebitNote.objects.get(pk=note.pk), colleague, D("1000"), on,
                                                   "same-form")])
    note.refresh_from_db()
    assert (note.repaid, note.repayments.count()) == (D("1000.00"), 1)
    results = run_at_once([
        lambda: _refused(lambda: recovery.record_repayment(DebitNote.objects.get(pk=note.pk), people["officer"],
                                                           D("1500"), on, "form-a")),
        lambda: _refused(lambda: recovery.record_repayment(DebitNote.objects.get(pk=note.pk), colleague,
                                                           D("1500"), on, "form-b"))])
    assert sorted(isinstance(r, str) for r in results) == [False, True]  # one recorded, one refused
    note.refresh_from_db()
    assert (note.repaid, note.outstanding, note.status) == (D("2500.00"), D("500.00"), DebitNoteStatus.PARTLY_PAID)


# --- review 14 --------------------------------------------------------------------------------------

def test_a_written_off_note_with_nothing_received_cancels_its_recovery_payment(
        ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    recovery.write_off(note, people["officer"], "Wound up.")
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    assert (recovery_payment.status, recovery_payment.amount) == (PaymentStatus.CANCELLED, D("0.00"))
    assert DebitNote.objects.get(pk=note.pk).amount == D("3000.00")


def test_further_prefinancing_and_at_most_payments_are_not_offset(
        ka210, ka220, people, frozen, django_capture_on_commit_callbacks):
    ka220.payments.filter(kind=PaymentKind.PREFINANCING).update(at_most=True)
    further = Payment.objects.create(project=ka220, kind=PaymentKind.FURTHER, sequence=5, amount=D("8000.00"),
                                     due=date(2026, 10, 1), status=PaymentStatus.DUE)
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.offset_amount, note.amount, note.status) == (D("0.00"), D("3000.00"), DebitNoteStatus.ISSUED)
    assert not Offset.objects.exists()
    further.refresh_from_db()
    assert (further.status, further.status_reason) == (PaymentStatus.DUE, "")


def _ka220_balance_due(ka220, amount="8000.00"):
    ka220.payments.filter(kind=PaymentKind.PREFINANCING).update(status=PaymentStatus.PAID, paid_on=date(2026, 9, 5))
    balance = ka220.payments.get(kind=PaymentKind.BALANCE)  # planned at creation (an at-most amount)
    Payment.objects.filter(pk=balance.pk).update(amount=D(amount), at_most=False, due=date(2026, 10, 1),
                                                 status=PaymentStatus.DUE)
    return balance


def test_an_offset_payment_cancelled_later_gives_the_offset_back_to_the_debit_note(
        ka210, ka220, people, frozen, django_capture_on_commit_callbacks):
    balance = _ka220_balance_due(ka220)
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert (note.offset_amount, note.amount, note.status) == (D("3000.00"), D("0.00"), DebitNoteStatus.PAID)
    assert Offset.objects.get(debit_note=note).payment == balance
    # A newer decision on KA220 turns its balance into a recovery: the open balance is cancelled.
    with django_capture_on_commit_callbacks(execute=True):
        recovery.revise_recovery(ka220, D("-500.00"), people["officer"], "Check: 500 to recover.")
    balance.refresh_from_db()
    assert balance.status == PaymentStatus.CANCELLED
    note = DebitNote.objects.get(pk=note.pk)
    assert (note.offset_amount, note.amount, note.status) == (D("0.00"), D("3000.00"), DebitNoteStatus.ISSUED)
    assert not Offset.objects.filter(payment=balance).exists()
    assert history(note).filter(verb="offset-reversed").count() == 1
    recovery_payment = Payment.objects.get(pk=note.payment_id)
    assert (recovery_payment.amount, recovery_payment.status) == (D("3000.00"), PaymentStatus.DUE)
    assert note.pdf.read().startswith(b"%PDF")  # rendered again with the new figures


def test_settle_balance_cancelling_an_offset_payment_gives_the_offset_back(
        ka210, ka220, people, frozen, django_capture_on_commit_callbacks):
    balance = _ka220_balance_due(ka220)
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    from types import SimpleNamespace

    grant = SimpleNamespace(amount=D("90000.00"))
    bal = SimpleNamespace(kind="recovery", paid=D("100000.00"), recovery=D("10000.00"), to_pay=D("0.00"))
    with django_capture_on_commit_callbacks(execute=True):
        payments.settle_balance(ka220, grant, bal)
    balance.refresh_from_db()
    assert balance.status == PaymentStatus.CANCELLED
    note = DebitNote.objects.get(pk=note.pk)
    assert (note.offset_amount, note.amount, note.status) == (D("0.00"), D("3000.00"), DebitNoteStatus.ISSUED)


def test_a_second_revision_after_a_cancelled_note_counts_what_was_repaid(
        ka210, people, frozen, django_capture_on_commit_callbacks):
    # The review's scenario shifted by 35 000: grant 45 000, paid 48 000, the 3 000 note repaid in full.
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    repay(note, people["officer"], "3000", "2026-11-02", "ref-1")
    # A claim: grant 46 500 -> new balance -1 500; 3 000 given back, so 1 500 is owed to the beneficiary.
    recovery.revise_recovery(ka210, D("-1500.00"), people["officer"], "Claim: 46 500 final.")
    assert DebitNote.objects.get(pk=note.pk).status == DebitNoteStatus.CANCELLED
    balance = ka210.payments.get(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE)
    assert balance.amount == D("1500.00")
    # A reopening: grant 46 000 -> new balance -2 000; still 1 000 owed to the beneficiary, no recovery.
    assert recovery.revise_recovery(ka210, D("-2000.00"), people["officer"], "Reopened: 46 000 final.") is None
    assert ka210.payments.filter(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE).get().amount == D("1000.00")
    assert DebitNote.objects.filter(project=ka210).count() == 1
    assert not ka210.payments.filter(kind=PaymentKind.RECOVERY, status=PaymentStatus.DUE).exists()
    # A further decision below what was returned raises a recovery only for the difference: grant 44 000.
    new = recovery.revise_recovery(ka210, D("-4000.00"), people["officer"], "Check: 44 000 final.")
    assert (new.sequence, new.amount) == (2, D("1000.00"))
    assert ka210.payments.get(kind=PaymentKind.BALANCE, pk=balance.pk).status == PaymentStatus.CANCELLED


def test_a_raised_debit_note_gets_a_new_due_date_and_pdf(ka210, people, django_capture_on_commit_callbacks):
    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
        repay(note, people["officer"], "3000", "2026-11-02", "ref-1")
    old_sha = DebitNote.objects.get(pk=note.pk).sha256
    assert old_sha
    with freeze_time("2027-01-11 09:00:00"), django_capture_on_commit_callbacks(execute=True):
        note = recovery.revise_recovery(ka210, D("-4000.00"), people["officer"], "Check: 44 000 final.")
    note = DebitNote.objects.get(pk=note.pk)
    assert (note.amount, note.status) == (D("4000.00"), DebitNoteStatus.PARTLY_PAID)
    assert (note.notified_on, note.due_on) == (date(2027, 1, 11), date(2027, 2, 10))
    assert note.sha256 and note.sha256 != old_sha
    assert note.pdf.read().startswith(b"%PDF")


def test_the_e_mail_of_a_fully_offset_note_asks_for_nothing(ka210, ka220, people, frozen,
                                                           django_capture_on_commit_callbacks):
    mail.outbox.clear()
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    assert note.amount == D("0.00")
    bodies = "\n".join(m.body for m in mail.outbox)
    assert "Nothing is left to pay" in bodies
    assert "remaining 0.00" not in bodies and "transfer the remaining" not in bodies


def test_issuing_a_debit_note_with_nothing_due_is_an_error(client, ka210, people, frozen):
    log_in_reauthenticated(client, people["officer"])
    response = client.post(reverse("projects:agency_project", args=[ka210.pk]), {"action": "issue-debit-note"})
    assert response.status_code == 200
    assert "No recovery is due on this project." in response.content.decode()
    assert not DebitNote.objects.exists()


def test_recoveries_are_not_listed_as_payments_due_in_the_agency_queue(
        client, ka210, people, frozen, django_capture_on_commit_callbacks):
    note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    log_in_reauthenticated(client, people["officer"])
    response = client.get(reverse("projects:agency_queue"))
    payments_due = [p.pk for p in response.context["payments"]]
    assert note.payment_id not in payments_due
    assert ka210.payments.get(kind=PaymentKind.RECOVERY).status == PaymentStatus.DUE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_project_locked_by_another_transaction_is_not_offset(ka210, ka220, people,
                                                              django_capture_on_commit_callbacks):
    import threading

    from django.db import connection, transaction

    from eplus.projects.models import Project

    _postgres(connection)
    other = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    locked, release = threading.Event(), threading.Event()

    def hold():
        from django.db import connection as thread_connection
        try:
            with transaction.atomic():
                Project.objects.select_for_update().get(pk=ka220.pk)
                locked.set()
                release.wait(30)
        finally:
            thread_connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(30)
        with freeze_time(NOTIFIED):
            note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    finally:
        release.set()
        thread.join(30)
    assert (note.offset_amount, note.amount) == (D("0.00"), D("3000.00"))
    other.refresh_from_db()
    assert (other.status, other.status_reason) == (PaymentStatus.DUE, "")


def test_the_agency_queue_shows_what_is_left_to_transfer_after_an_offset(
        client, ka210, ka220, people, frozen, django_capture_on_commit_callbacks):
    other = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    log_in_reauthenticated(client, people["officer"])
    response = client.get(reverse("projects:agency_queue"))
    row = next(p for p in response.context["payments"] if p.pk == other.pk)
    assert row.to_transfer == D("97000.00")
    assert "97000.00 to transfer (the rest offset)" in response.content.decode()
