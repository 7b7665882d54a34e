"""Termination of a grant (issue 14, item 4): the beneficiary's request or the agency's notice with its
observation period (the call's termination_notice_days), the confirmation with or without eligible costs and its
effect on payments, reports and the final grant, approved results public after a termination with eligible
costs, wrong roles by guessed URLs, the audit trail and double submissions."""

import importlib
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from freezegun import freeze_time

from eplus.core.audit import history
from eplus.projects import figures, termination, workflow
from eplus.projects.base import ProjectError
from eplus.projects.models import (
    PaymentKind, PaymentStatus, Project, ProjectStatus, ReportKind, ReportStatus, Termination, TerminationStatus,
)
from eplus.projects.queries import project_card
from eplus.results import public
from eplus.results import workflow as results_workflow
from eplus.results.models import Result

from .conftest import make_officer
from .test_services import fill, mark_results_submitted
from .test_views import login

D = Decimal


def _paid(project, kind=PaymentKind.PREFINANCING):
    payment = project.payments.get(kind=kind)
    payment.status, payment.paid_on = PaymentStatus.PAID, date(2025, 9, 10)
    payment.save()
    return payment


def _approved_result(project, officer):
    """A public result on the project's card, submitted and approved by the agency."""
    card = project_card(project)
    result = Result.objects.create(card=card, title="Welding curriculum", result_type="handbook",
                                   description_en="A curriculum.", public=True)
    mark_results_submitted(project)
    results_workflow.approve(project_card(project), officer)
    result.refresh_from_db()
    return result


# --- the agency's notice, without eligible costs --------------------------------------------------------------

def test_a_notice_waits_30_days_then_terminates_without_costs_recovering_all_paid(ka210, people):
    _paid(ka210)  # KA210 60 000 at 80/20: 48 000 pre-financing paid
    officer = people["officer"]
    with freeze_time("2026-03-02 10:00"):
        notice = termination.send_notice(ka210, officer, "The activities did not take place.")
        assert notice.observations_due == date(2026, 4, 1)  # 2 March + 30 days (termination_notice_days)
        assert termination.send_notice(ka210, officer, "Again.").pk == notice.pk  # double submission
    assert Termination.objects.filter(project=ka210).count() == 1
    with freeze_time("2026-04-01 20:00"), pytest.raises(ProjectError, match="observations until"):
        termination.confirm_termination(notice, officer, "without-costs")
    with freeze_time("2026-04-02 09:00"):
        done = termination.confirm_termination(notice, officer, "without-costs", "Nothing was implemented.")
        again = termination.confirm_termination(notice, officer, "with-costs")
    assert again.outcome == "without-costs"
    assert (done.status, done.effective_date, done.paid_at_termination, done.final_grant, done.recovery_amount) == (
        TerminationStatus.CONFIRMED, date(2026, 4, 2), D("48000.00"), D("0.00"), D("48000.00"))
    ka210.refresh_from_db()
    assert ka210.status == ProjectStatus.TERMINATED_WITHOUT_COSTS
    assert ka210.payments.get(kind=PaymentKind.BALANCE).status == PaymentStatus.CANCELLED
    assert ka210.reports.get(kind=ReportKind.FINAL).status == ReportStatus.CANCELLED
    assert project_card(ka210).status == "terminated-without-costs"
    assert list(history(notice).order_by("at", "id").values_list("verb", flat=True)) == [
        "termination-notice", "confirm-termination-without-costs"]
    assert history(ka210).filter(verb="terminate-without-costs").count() == 1


def test_the_beneficiary_answers_within_the_period_and_its_agreement_allows_confirming_at_once(ka220, people):
    officer, coordinator = people["officer"], people["coordinator"]
    with freeze_time("2027-01-10 10:00"):
        notice = termination.send_notice(ka220, officer, "The partnership broke up.")
        with pytest.raises(ProjectError, match="observations"):
            termination.answer_notice(notice, coordinator, "", agrees=False)
        with pytest.raises(PermissionDenied):
            termination.answer_notice(notice, people["partner"], "We object.")
        answered = termination.answer_notice(notice, coordinator, "We agree; the partner left.", agrees=True)
        assert termination.answer_notice(notice, coordinator, "Changed our mind.").observations == \
            "We agree; the partner left."  # sent once
        assert answered.beneficiary_agrees and termination.confirmation_problem(answered) == ""
        termination.confirm_termination(answered, officer, "with-costs")
    assert history(notice).filter(verb="termination-observations").count() == 1


def test_observations_after_the_period_are_refused(ka220, people):
    with freeze_time("2027-01-10 10:00"):
        notice = termination.send_notice(ka220, people["officer"], "Reason.")
    with freeze_time("2027-02-10 10:00"), pytest.raises(ProjectError, match="ended on"):
        termination.answer_notice(notice, people["coordinator"], "Too late.")


def test_the_agency_withdraws_a_notice_and_the_project_goes_on(ka220, people):
    notice = termination.send_notice(ka220, people["officer"], "Reason.")
    with pytest.raises(ProjectError, match="reason"):
        termination.refuse_termination(notice, people["officer"], " ")
    termination.refuse_termination(notice, people["officer"], "The observations convinced us.")
    assert termination.refuse_termination(notice, people["officer"], "Again.").status == TerminationStatus.WITHDRAWN
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.ONGOING and termination.open_termination(ka220) is None
    assert history(notice).filter(verb="withdraw-termination-notice").count() == 1


# --- the beneficiary's request, with eligible costs: final report, grant, public results ---------------------

def test_a_request_with_costs_makes_the_final_report_due_60_days_later_and_approved_results_public(ka220, people):
    officer, coordinator = people["officer"], people["coordinator"]
    _paid(ka220)  # 100 000 first pre-financing
    with freeze_time("2027-03-01 10:00"):
        with pytest.raises(PermissionDenied):
            termination.request_termination(ka220, people["partner"], "No.", date(2027, 3, 31))
        with pytest.raises(ProjectError, match="before today"):
            termination.request_termination(ka220, coordinator, "Our partner closed.", date(2027, 2, 1))
        request = termination.request_termination(ka220, coordinator, "Our partner closed.", date(2027, 3, 31))
        assert termination.request_termination(ka220, coordinator, "Our partner closed.",
                                               date(2027, 3, 31)).pk == request.pk
        with pytest.raises(ProjectError, match="decide on its request"):
            termination.send_notice(ka220, officer, "Also.")
        done = termination.confirm_termination(request, officer, "with-costs")
    assert (done.effective_date, done.final_report_due, done.paid_at_termination, done.recovery_amount) == (
        date(2027, 3, 31), date(2027, 5, 30), D("100000.00"), None)  # 31 March + 60 days
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.TERMINATED_WITH_COSTS
    final = ka220.reports.get(kind=ReportKind.FINAL)
    assert (final.period_end, final.due, final.status) == (date(2027, 3, 31), date(2027, 5, 30), ReportStatus.DRAFT)
    assert ka220.payments.get(kind=PaymentKind.FURTHER).status == PaymentStatus.CANCELLED
    assert set(ka220.reports.exclude(kind=ReportKind.FINAL).values_list("status", flat=True)) == {"cancelled"}
    # The approved results go public as for a finalised project: once the final report is approved, not before.
    assert project_card(ka220).status == "terminated"
    result = _approved_result(ka220, officer)
    assert not public.is_public_result(result) and not public.public_results_qs().filter(pk=result.pk).exists()
    assert result.published_at is None
    # The final report is assessed like any: WP2 60 (no reduction), WP3 30 (50 %), WP1 in proportion.
    fill(final, coordinator, used="1")
    final = workflow.submit_report(final, coordinator)
    workflow.save_assessment(final, officer, wp_scores={2: D("60"), 3: D("30")})
    assessment = workflow.approve_assessment(final, officer)
    assert (assessment.final_grant, assessment.balance) == (D("187500.00"), D("87500.00"))
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.TERMINATED_WITH_COSTS
    done.refresh_from_db()
    assert done.final_grant == D("187500.00")
    balance = ka220.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.status, balance.amount) == (PaymentStatus.DUE, D("87500.00"))
    result = Result.objects.get(pk=result.pk)
    assert project_card(ka220).status == "terminated-with-costs"
    assert public.is_public_result(result) and public.public_results_qs().filter(pk=result.pk).exists()
    assert result.published_at is not None


def test_approved_results_of_a_project_terminated_without_costs_stay_hidden(ka220, people):
    officer = people["officer"]
    notice = termination.send_notice(ka220, officer, "Fraud.")
    termination.answer_notice(notice, people["coordinator"], "", agrees=True)
    termination.confirm_termination(notice, officer, "without-costs")
    result = _approved_result(ka220, officer)
    assert not public.is_public_result(result) and not public.public_results_qs().filter(pk=result.pk).exists()
    assert result.published_at is None
    with pytest.raises(ProjectError, match="no longer be terminated"):
        termination.send_notice(Project.objects.get(pk=ka220.pk), officer, "Again.")


def test_the_call_without_the_figure_refuses_the_notice(ka220, people):
    rules = dict(ka220.call.other_rules)
    rules.pop("termination_notice_days")
    ka220.call.other_rules = rules
    ka220.call.save()
    with pytest.raises(figures.MissingFigure, match="observation period"):
        termination.send_notice(Project.objects.get(pk=ka220.pk), people["officer"], "Reason.")
    assert not Termination.objects.filter(project=ka220).exists()


@pytest.mark.parametrize("value", ["thirty", "30 days", 30.5])
def test_a_malformed_figure_refuses_the_notice_naming_it(ka220, people, value):
    rules = dict(ka220.call.other_rules)
    rules["termination_notice_days"] = value
    ka220.call.other_rules = rules
    ka220.call.save()
    with pytest.raises(figures.MissingFigure, match=r"invalid observation period of a termination notice \(days\)"):
        termination.send_notice(Project.objects.get(pk=ka220.pk), people["officer"], "Reason.")
    assert not Termination.objects.filter(project=ka220).exists()


def test_a_malformed_figure_is_an_error_on_the_page_not_a_500(client, ka220, people):
    rules = dict(ka220.call.other_rules)
    rules["termination_notice_days"] = "thirty"
    ka220.call.other_rules = rules
    ka220.call.save()
    login(client, people["officer"])
    response = client.post(reverse("projects:agency_termination", args=[ka220.pk]),
                           {"action": "notice", "reason": "Activities stopped."})
    assert response.status_code == 400
    assert "invalid observation period of a termination notice (days)" in response.content.decode()
    assert "Activities stopped." in response.content.decode()  # what the officer typed is kept
    assert not Termination.objects.filter(project=ka220).exists()


# --- pages and roles --------------------------------------------------------------------------------------

def test_the_pages_do_the_procedure(client, ka220, people):
    login(client, people["officer"])
    url = reverse("projects:agency_termination", args=[ka220.pk])
    assert client.get(url).status_code == 200
    assert "Give a reason" in client.post(url, {"action": "notice", "reason": ""}).content.decode()
    assert client.post(url, {"action": "notice", "reason": "Activities stopped."}).status_code == 302
    notice = Termination.objects.get(project=ka220)
    queue = client.get(reverse("projects:agency_queue")).content.decode()
    assert f'href="{url}">{ka220.number}</a> — Notice sent, observations awaited' in queue
    page = client.get(url).content.decode()
    assert "the termination can be confirmed after that" in page
    login(client, people["coordinator"])
    mine = reverse("projects:termination", args=[ka220.pk])
    assert client.post(mine, {"action": "answer", "observations": "Agreed.", "agrees": "on"}).status_code == 302
    login(client, people["officer"])
    assert "Choose whether" in client.post(url, {"action": "confirm", "termination": notice.pk}).content.decode()
    assert client.post(url, {"action": "confirm", "termination": "x"}).status_code == 404
    assert client.post(url, {"action": "confirm", "termination": notice.pk, "outcome": "with-costs"}).status_code \
        == 302
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.TERMINATED_WITH_COSTS
    assert "Terminated with eligible costs" in client.get(url).content.decode()


def test_the_confirm_radios_show_their_error_and_keep_what_was_typed(client, ka220, people):
    notice = termination.send_notice(ka220, people["officer"], "Reason.")
    termination.answer_notice(notice, people["coordinator"], "", agrees=True)
    login(client, people["officer"])
    url = reverse("projects:agency_termination", args=[ka220.pk])
    response = client.post(url, {"action": "confirm", "termination": notice.pk, "reason": "Nothing was done."})
    page = response.content.decode()
    assert response.status_code == 400
    # the radio group: a fieldset with its legend, described by its error, which the summary links to
    assert '<fieldset class="field field-error" aria-describedby="id_outcome_error">' in page
    assert "<legend>Effect on the grant" in page
    assert '<div id="id_outcome_error"><p class="error-message">Choose whether the project is terminated with ' \
        'or without eligible costs.</p></div>' in page
    assert '<a href="#id_outcome_0">Effect on the grant: Choose whether' in page
    assert 'id="id_outcome_0"' in page and '<label for="id_outcome_0">' in page
    assert ">\nNothing was done.</textarea>" in page  # the decision the officer typed is kept
    bad = client.post(url, {"action": "confirm", "termination": notice.pk, "outcome": "maybe", "reason": "Typed."})
    assert bad.status_code == 400 and "Typed.</textarea>" in bad.content.decode()
    refused = client.post(url, {"action": "notice", "reason": ""})
    assert refused.status_code == 400
    notice.refresh_from_db()
    assert notice.status == "notified"


def test_a_beneficiary_request_through_its_page_with_a_bad_date_is_a_form_error(client, ka220, people):
    login(client, people["coordinator"])
    url = reverse("projects:termination", args=[ka220.pk])
    page = client.post(url, {"action": "request", "reason": "Closed.", "effective_date": "31/31/2027"})
    assert page.status_code == 200 and "Enter a valid date" in page.content.decode()
    assert not Termination.objects.exists()


def test_wrong_roles_get_404_or_403_on_guessed_urls(client, ka220, people):
    mine = reverse("projects:termination", args=[ka220.pk])
    agency = reverse("projects:agency_termination", args=[ka220.pk])
    login(client, people["outsider"])
    assert client.get(mine).status_code == 404 and client.get(agency).status_code == 404
    login(client, people["partner"])  # view rights only
    assert client.get(mine).status_code == 200
    assert client.post(mine, {"action": "request", "reason": "x", "effective_date": "2099-01-01"}).status_code == 403
    assert client.post(agency, {"action": "notice", "reason": "x"}).status_code == 404
    login(client, people["coordinator"])
    assert client.post(agency, {"action": "notice", "reason": "x"}).status_code == 404
    login(client, make_officer("LT01"))  # another agency
    assert client.get(agency).status_code == 404
    assert client.post(agency, {"action": "notice", "reason": "x"}).status_code == 404
    login(client, people["officer"])
    assert client.get(mine).status_code == 404  # the beneficiary's page is not the agency's
    assert not Termination.objects.exists()


# --- the old key --------------------------------------------------------------------------------------------

def test_the_migration_leaves_the_old_terminated_key_as_it_is(ka210, ka220, people):
    """Review 14 #8: legacy terminations decided neither outcome; they keep the still-valid key."""
    _paid(ka210)
    Project.objects.filter(pk__in=[ka210.pk, ka220.pk]).update(status="terminated")
    from eplus.results.models import ProjectCard

    ProjectCard.objects.filter(identifier__in=[ka210.number, ka220.number]).update(status="terminated")
    migration = importlib.import_module("eplus.projects.migrations.0006_termination_procedure")
    migration.split_terminated(apps, None)
    assert set(Project.objects.filter(pk__in=[ka210.pk, ka220.pk]).values_list("status", flat=True)) == {"terminated"}
    assert project_card(ka210).status == "terminated" and project_card(ka220).status == "terminated"  # 48 000 paid
    assert not history(Project.objects.get(pk=ka210.pk)).filter(verb__startswith="terminate").exists()
    # "terminated" is not "with costs": no reminders or final report, results not public.
    from eplus.projects.models import CLOSED_STATUSES, TERMINATED_STATUSES
    from eplus.results.models import RESULTS_PUBLIC_STATUSES

    assert "terminated" in TERMINATED_STATUSES and "terminated" in CLOSED_STATUSES
    assert "terminated" not in RESULTS_PUBLIC_STATUSES
    Project.objects.filter(pk=ka220.pk).update(status="terminated-with-costs")  # one reclassified since
    migration.join_terminated(apps, None)
    assert set(Project.objects.filter(pk__in=[ka210.pk, ka220.pk]).values_list("status", flat=True)) == {"terminated"}
    assert ProjectStatus("terminated").label == "Terminated"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_and_two_confirmations_at_the_same_moment_count_once(ka220, people):
    from django.db import connection

    from tests.concurrency import run_at_once

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    coordinator, colleague = people["coordinator"], make_officer("LV01")
    results = run_at_once([
        lambda: termination.request_termination(Project.objects.get(pk=ka220.pk), coordinator, "Closed.",
                                                date(2099, 1, 1)),
        lambda: termination.request_termination(Project.objects.get(pk=ka220.pk), coordinator, "Closed.",
                                                date(2099, 1, 1))])
    assert results[0].pk == results[1].pk and Termination.objects.filter(project=ka220).count() == 1
    results = run_at_once([
        lambda: termination.confirm_termination(Termination.objects.get(pk=results[0].pk), people["officer"],
                                                "without-costs"),
        lambda: termination.confirm_termination(Termination.objects.get(pk=results[0].pk), colleague,
                                                "without-costs")])
    assert [r.status for r in results] == ["confirmed", "confirmed"]
    assert history(ka220).filter(verb="terminate-without-costs").count() == 1


# --- review 14: the recovery of a termination without costs (#1), interim reports after it (#4) -----------------

def test_without_costs_32000_paid_is_recovered_by_a_debit_note_due_30_days_after(ka210, people):
    from eplus.projects import dossier
    from eplus.projects.models import DebitNote

    payment = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    payment.amount = D("32000.00")
    payment.save()
    _paid(ka210)
    officer = people["officer"]
    with freeze_time("2026-03-02 10:00"):
        notice = termination.send_notice(ka210, officer, "The activities did not take place.")
        termination.answer_notice(notice, people["coordinator"], "", agrees=True)
        mail.outbox.clear()
        done = termination.confirm_termination(notice, officer, "without-costs", "Nothing was implemented.")
        again = termination.confirm_termination(notice, officer, "without-costs")
    assert again.pk == done.pk and done.recovery_amount == D("32000.00")
    recovery = ka210.payments.get(kind=PaymentKind.RECOVERY)  # one, even after the double confirmation
    assert (recovery.amount, recovery.status) == (D("32000.00"), PaymentStatus.DUE)
    assert list(history(recovery).order_by("at", "id").values_list("verb", flat=True)) == [
        "recovery-raised", "debit-note-issued"]
    note = DebitNote.objects.get(project=ka210)
    assert (note.amount, note.offset_amount, note.status, note.notified_on, note.due_on, note.payment) == (
        D("32000.00"), D("0.00"), "issued", date(2026, 3, 2),
        date(2026, 3, 2) + timedelta(days=figures.debit_note_payment_days(ka210.call)),
        recovery)
    assert note.due_on == date(2026, 4, 1)  # + debit_note_payment_days 30
    assert history(note).filter(verb="issue-debit-note").count() == 1
    subjects = [m.subject for m in mail.outbox if people["coordinator"].email in m.to]
    assert len(subjects) == 2  # the termination decision and the debit note
    # The dossier's audit trail has the debit note's and its repayments' events (#16).
    from eplus.projects import recovery

    with freeze_time("2026-03-20 10:00"):
        recovery.record_repayment(note, officer, D("12000.00"), date(2026, 3, 19), "ref-1")
    repayment = note.repayments.get()
    with dossier.dossier_zip(ka210) as spool, zipfile.ZipFile(spool) as archive:
        trail = json.loads(archive.read("audit/audit-trail.json"))
    assert f"projects.debitnote#{note.pk}" in {row["object"] for row in trail}
    assert f"projects.repayment#{repayment.pk}" in {row["object"] for row in trail}
    assert {"issue-debit-note", "record-repayment"} <= {row["verb"] for row in trail}


def test_nothing_paid_without_costs_raises_no_recovery(ka220, people):
    officer = people["officer"]
    notice = termination.send_notice(ka220, officer, "Fraud.")
    termination.answer_notice(notice, people["coordinator"], "", agrees=True)
    done = termination.confirm_termination(notice, officer, "without-costs")
    assert done.recovery_amount == D("0.00")
    assert not ka220.payments.filter(kind=PaymentKind.RECOVERY).exists() and not ka220.debit_notes.exists()


def test_a_submitted_interim_report_is_cancelled_by_the_termination_and_cannot_reopen_the_further_prefinancing(
        ka220, people):
    from eplus.projects.payments import decide_further_prefinancing

    from .test_services import _interim_submitted

    officer = people["officer"]
    interim = _interim_submitted(ka220, people, "75000")
    assert interim.status == ReportStatus.SUBMITTED
    notice = termination.send_notice(ka220, officer, "The partnership broke up.")
    termination.answer_notice(notice, people["coordinator"], "", agrees=True)
    termination.confirm_termination(notice, officer, "with-costs")
    interim.refresh_from_db()
    assert interim.status == ReportStatus.CANCELLED
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert further.status == PaymentStatus.CANCELLED
    with pytest.raises(ProjectError):
        workflow.accept_report(interim, officer)
    # Even a report left submitted (from before this fix) is refused once the project is terminated ...
    type(interim).objects.filter(pk=interim.pk).update(status=ReportStatus.SUBMITTED)
    with pytest.raises(ProjectError, match="terminated"):
        workflow.accept_report(interim, officer)
    # ... and the cancelled further pre-financing stays cancelled.
    interim.refresh_from_db()
    interim.prefinancing_used = D("75000")
    assert decide_further_prefinancing(ka220, interim) is None
    further.refresh_from_db()
    assert (further.status, further.status_reason) == (PaymentStatus.CANCELLED, "Not paid: the project was terminated.")
    assert interim.status == ReportStatus.SUBMITTED
