"""Claims on the final-report decision and reopenings (issue 14, item 2), with the exact figures of the issue:
KA210 60 000, 48 000 paid, score 42 -> 45 000 final and a 3 000 debit note; a claim, accepted, the new version
resubmitted (a new declaration on honour required) and scored 52 -> 60 000 final, 12 000 balance due, the
recovery cancelled; the earlier decision stays readable. Also: the claim period, the agency's own reopening, a
rejection, double clicks, the audit trail and who may do what (404/403 by guessing URLs)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from freezegun import freeze_time

from eplus.core.audit import history
from eplus.projects import claims, workflow
from eplus.projects.base import NotReady, ProjectError
from eplus.projects.models import (
    AssessmentStatus, ClaimStatus, DebitNote, DebitNoteStatus, FinalAssessment, PaymentKind, PaymentStatus,
    ProjectStatus, ReportStatus,
)
from tests.factories import log_in_reauthenticated

from .test_recovery import NOTIFIED, approve_with_score_42, repay
from .test_services import fill, sign_again

D = Decimal


@pytest.fixture
def decided(ka210, people, django_capture_on_commit_callbacks):
    """The KA210 project decided at score 42 on 2 November 2026: a 3 000 debit note."""
    with freeze_time(NOTIFIED):
        note = approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    ka210.refresh_from_db()
    return ka210, note


def _reassess(project, people, score, capture, sign=True):
    claim = claims.open_claim(project)
    version = claim.claim_report
    if sign:
        sign_again(version, people["coordinator"])
    workflow.submit_report(version, people["coordinator"])
    workflow.save_assessment(version, people["officer"], overall_score=D(score))
    with capture(execute=True):
        return workflow.approve_assessment(version, people["officer"])


def test_a_claim_raising_the_score_to_52_cancels_the_recovery_and_makes_12000_due(
        decided, people, django_capture_on_commit_callbacks):
    project, note = decided
    earlier = claims.current_decision(project)
    with freeze_time("2026-11-20 09:00:00"):
        assert claims.claim_deadline(project) == date(2026, 12, 2)  # 30 days after the decision's day
        claim = claims.file_claim(project, people["coordinator"], "WP scores ignore the handbook we delivered.")
        again = claims.file_claim(project, people["coordinator"], "WP scores ignore the handbook we delivered.")
        assert again.pk == claim.pk and project.claims.count() == 1  # a double click files one claim
        claims.accept_claim(claim, people["officer"], "The handbook was in the annexes.")
        claim.refresh_from_db()
        version = claim.claim_report
        assert claim.status == ClaimStatus.ACCEPTED and version.status == ReportStatus.DRAFT
        assert version.sections == earlier.report.sections  # opened with the content decided on
        assert version.due == date(2026, 12, 20)
        project.refresh_from_db()
        assert project.status == ProjectStatus.FINAL_REPORT_AWAITED
        # Resubmitting needs a new declaration on honour: the one of the decided version does not count.
        with pytest.raises(NotReady):
            workflow.submit_report(version, people["coordinator"])
        assessment = _reassess(project, people, "52", django_capture_on_commit_callbacks)
    assert (assessment.final_grant, assessment.paid, assessment.balance) == (
        D("60000.00"), D("48000.00"), D("12000.00"))
    note.refresh_from_db()
    assert note.status == DebitNoteStatus.CANCELLED
    balance = project.payments.filter(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE).get()
    assert balance.amount == D("12000.00")
    assert project.payments.get(kind=PaymentKind.RECOVERY).status == PaymentStatus.CANCELLED
    earlier.refresh_from_db()
    assert earlier.status == AssessmentStatus.APPROVED and earlier.superseded_by == assessment
    assert (earlier.final_grant, earlier.balance) == (D("45000.00"), D("-3000.00"))  # still readable as decided
    assert claims.current_decision(project) == assessment
    assert [d.pk for d in claims.decisions(project)] == [assessment.pk, earlier.pk]
    claim.refresh_from_db()
    project.refresh_from_db()
    assert claim.status == ClaimStatus.DECIDED and project.status == ProjectStatus.FINALISED
    verbs = set(history(claim).values_list("verb", flat=True))
    assert {"file-claim", "accept-claim", "claim-decided"} <= verbs
    assert history(earlier).filter(verb="supersede-decision").count() == 1
    # Approving the new version again changes nothing.
    assert workflow.approve_assessment(claim.claim_report, people["officer"]).pk == assessment.pk
    assert project.payments.filter(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE).count() == 1


def test_what_was_already_repaid_is_owed_back_with_the_new_balance(decided, people,
                                                                     django_capture_on_commit_callbacks):
    project, note = decided
    with freeze_time("2026-11-20 09:00:00"):
        repay(note, people["officer"], "1000.00", "2026-11-15", "ref-1")
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        claims.accept_claim(claim, people["officer"])
        _reassess(project, people, "52", django_capture_on_commit_callbacks)
    due = project.payments.filter(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE).get()
    assert due.amount == D("13000.00")  # 12 000 + the 1 000 given back


def test_a_claim_confirming_the_same_band_keeps_the_debit_note(decided, people,
                                                                django_capture_on_commit_callbacks):
    project, note = decided
    with freeze_time("2026-11-20 09:00:00"):
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        claims.accept_claim(claim, people["officer"])
        assessment = _reassess(project, people, "45", django_capture_on_commit_callbacks)
    assert (assessment.final_grant, assessment.balance) == (D("45000.00"), D("-3000.00"))
    note.refresh_from_db()
    assert note.status == DebitNoteStatus.ISSUED and note.amount == D("3000.00")  # the same band: unchanged
    assert DebitNote.objects.filter(project=project).count() == 1


def test_the_claim_period_ends_30_days_after_the_decision(decided, people):
    project, _note = decided
    with freeze_time("2026-12-02 21:00:00"):  # 22:00 in Brussels on the last day: still open
        assert claims.claim_problem(project) == ""
    with freeze_time("2026-12-03 08:00:00"):
        assert "ended on 2026-12-02" in claims.claim_problem(project)
        with pytest.raises(ProjectError, match="ended on 2026-12-02"):
            claims.file_claim(project, people["coordinator"], "Late.")
    assert not project.claims.exists()


def test_a_rejected_claim_needs_a_reason_and_changes_no_figure(decided, people):
    project, note = decided
    with freeze_time("2026-11-20 09:00:00"):
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        with pytest.raises(ProjectError):
            claims.reject_claim(claim, people["officer"], "  ")
        mail.outbox.clear()
        claims.reject_claim(claim, people["officer"], "The scores follow the guide.")
        claims.reject_claim(claim, people["officer"], "The scores follow the guide.")  # a double click
        with pytest.raises(ProjectError):
            claims.accept_claim(claim, people["officer"])
        with pytest.raises(ProjectError, match="already been filed"):
            claims.file_claim(project, people["coordinator"], "Once more.")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED and history(claim).filter(verb="reject-claim").count() == 1
    assert [m.subject for m in mail.outbox if people["coordinator"].email in m.to] == [
        f"Project {project.number}: your claim on the final-report decision is rejected"]
    note.refresh_from_db()
    assert note.status == DebitNoteStatus.ISSUED and note.amount == D("3000.00")


def test_the_agency_reopens_a_decision_with_a_reason_and_rescores(decided, people,
                                                                 django_capture_on_commit_callbacks):
    project, note = decided
    with pytest.raises(ProjectError):
        claims.reopen_decision(project, people["officer"], "")
    with freeze_time("2027-03-01 09:00:00"):  # after the claim period: the agency may still reopen
        claim = claims.reopen_decision(project, people["officer"], "The balance left out a late result review.")
        assert claims.reopen_decision(project, people["officer"],
                                      "The balance left out a late result review.").pk == claim.pk
        version = claim.claim_report
        assert version.status == ReportStatus.SUBMITTED and version.declaration_sha256
        draft = FinalAssessment.objects.get(report=version)
        assert draft.status == AssessmentStatus.DRAFT and draft.overall_score == D("42.00")
        project.refresh_from_db()
        assert project.status == ProjectStatus.FINAL_REPORT_SUBMITTED
        workflow.save_assessment(version, people["officer"], overall_score=D("38"))
        with django_capture_on_commit_callbacks(execute=True):
            assessment = workflow.approve_assessment(version, people["officer"])
    assert (assessment.final_grant, assessment.balance) == (D("30000.00"), D("-18000.00"))  # 50 % off
    note.refresh_from_db()
    assert note.status == DebitNoteStatus.ISSUED and note.amount == D("18000.00")  # the note raised
    assert history(claim).filter(verb="reopen-decision").count() == 1


def test_a_project_without_recovery_gets_the_difference_as_a_new_balance(ka210, people,
                                                                        django_capture_on_commit_callbacks):
    """Decided at 45 000 with 30 000 paid (the 15 000 balance paid), reopened and rescored at 55: 15 000 more."""
    from eplus.projects import payments

    prefinancing = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    prefinancing.amount = D("30000.00")
    prefinancing.save()
    payments.mark_paid(prefinancing, people["officer"], paid_on=date(2025, 9, 10))
    from .test_services import mark_results_submitted

    final = ka210.reports.get(kind="final")
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    workflow.save_assessment(final, people["officer"], overall_score=D("42"))
    mark_results_submitted(ka210)
    with freeze_time(NOTIFIED), django_capture_on_commit_callbacks(execute=True):
        workflow.approve_assessment(final, people["officer"])
    first_balance = ka210.payments.get(kind=PaymentKind.BALANCE)
    assert (first_balance.amount, first_balance.status) == (D("15000.00"), PaymentStatus.DUE)
    payments.mark_paid(first_balance, people["officer"], paid_on=date(2026, 11, 20))
    with freeze_time("2026-11-25 09:00:00"):
        claim = claims.reopen_decision(ka210, people["officer"], "Wrong score on WP2.")
        workflow.save_assessment(claim.claim_report, people["officer"], overall_score=D("55"))
        with django_capture_on_commit_callbacks(execute=True):
            assessment = workflow.approve_assessment(claim.claim_report, people["officer"])
    assert (assessment.final_grant, assessment.paid, assessment.balance) == (
        D("60000.00"), D("45000.00"), D("15000.00"))
    balances = list(ka210.payments.filter(kind=PaymentKind.BALANCE).order_by("sequence")
                    .values_list("amount", "status"))
    assert balances == [(D("15000.00"), PaymentStatus.PAID), (D("15000.00"), PaymentStatus.DUE)]
    assert not DebitNote.objects.filter(project=ka210).exists()


def test_only_members_with_edit_rights_claim_and_only_the_agency_decides(decided, people):
    project, _note = decided
    with freeze_time("2026-11-20 09:00:00"):
        for user in (people["outsider"], people["officer"]):
            with pytest.raises(PermissionDenied):
                claims.file_claim(project, user, "Not mine.")
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        for user in (people["coordinator"], people["outsider"]):
            with pytest.raises(PermissionDenied):
                claims.accept_claim(claim, user)
            with pytest.raises(PermissionDenied):
                claims.reject_claim(claim, user, "No.")
            with pytest.raises(PermissionDenied):
                claims.reopen_decision(project, user, "No.")


def test_the_pages_by_role_and_by_guessed_urls(client, decided, people):
    project, _note = decided
    mine = reverse("projects:claims", args=[project.pk])
    agency = reverse("projects:agency_claims", args=[project.pk])
    with freeze_time("2026-11-20 09:00:00"):
        log_in_reauthenticated(client, people["outsider"])
        assert client.get(mine).status_code == 404
        assert client.post(mine, {"reason": "x"}).status_code == 404
        assert client.get(agency).status_code in (403, 404)
        log_in_reauthenticated(client, people["coordinator"])
        assert client.get(agency).status_code in (403, 404)
        page = client.get(mine)
        assert page.status_code == 200 and "File a claim on the final-report decision" in page.content.decode()
        assert "45000.00" in page.content.decode() or "45 000" in page.content.decode()
        empty = client.post(mine, {"reason": ""})
        assert empty.status_code == 400 and not project.claims.exists()
        done = client.post(mine, {"reason": "The handbook was delivered."}, follow=True)
        assert done.status_code == 200 and project.claims.count() == 1
        claim = project.claims.get()
        assert client.post(agency, {"action": "accept", "claim": claim.pk}).status_code in (403, 404)
        log_in_reauthenticated(client, people["officer"])
        page = client.get(agency)
        assert page.status_code == 200 and "The handbook was delivered." in page.content.decode()
        assert client.post(agency, {"action": "accept", "claim": "not-a-number"}).status_code == 404
        refused = client.post(agency, {"action": "reject", "claim": claim.pk, "reason": ""})
        assert refused.status_code == 400 and "Give the reason" in refused.content.decode()
        accepted = client.post(agency, {"action": "accept", "claim": claim.pk, "reason": "Seen."}, follow=True)
        assert accepted.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACCEPTED and claim.claim_report is not None


def test_an_audit_finding_of_5000_reopens_the_decision_and_raises_the_recovery_to_8000(
        client, decided, people, django_capture_on_commit_callbacks):
    from eplus.projects import monitoring

    project, note = decided
    with freeze_time("2026-12-10 09:00:00"):
        check = monitoring.save_check(project, people["officer"], {
            "kind": "audit", "status": "done", "done_on": date(2026, 12, 9),
            "findings": "Two of the six training weeks did not take place.", "proposed_action": "reduction",
            "proposed_amount": "5000.00"})
        assert "Share the findings" in claims.finding_problem(check)
        monitoring.share_check(check, people["officer"])
        check.refresh_from_db()
        assert check.answer_due == date(2027, 1, 9)
        assert "may answer the findings until 2027-01-09" in claims.finding_problem(check)
        with pytest.raises(ProjectError):
            claims.apply_finding(check, people["officer"])
        monitoring.answer_check(check, people["coordinator"], "The weeks were moved to the spring.")
        check.refresh_from_db()
        with pytest.raises(PermissionDenied):
            claims.apply_finding(check, people["coordinator"])
        log_in_reauthenticated(client, people["officer"])
        url = reverse("projects:agency_check", args=[project.pk, check.pk])
        assert "Apply the finding" in client.get(url).content.decode()
        assert client.post(url, {"action": "apply"}).status_code == 302
        assert client.post(url, {"action": "apply"}).status_code == 302  # a double click: the same reopening
        check.refresh_from_db()
        claim = check.applied_in
        assert claim is not None and project.claims.count() == 1
        draft = FinalAssessment.objects.get(report=claim.claim_report)
        assert (draft.adjustment, draft.final_grant, draft.balance) == (
            D("5000.00"), D("40000.00"), D("-8000.00"))
        assert "Two of the six training weeks" in draft.adjustment_reason
        with django_capture_on_commit_callbacks(execute=True):
            assessment = workflow.approve_assessment(claim.claim_report, people["officer"])
    assert (assessment.final_grant, assessment.paid, assessment.balance) == (
        D("40000.00"), D("48000.00"), D("-8000.00"))
    note.refresh_from_db()
    assert note.amount == D("8000.00") and note.status == DebitNoteStatus.ISSUED
    assert history(check).filter(verb="apply-finding").count() == 1
    assert "already been applied" in claims.finding_problem(check)


def test_the_dossier_holds_every_version_and_decision(decided, people, django_capture_on_commit_callbacks):
    import json
    import zipfile

    from eplus.projects.dossier import dossier_zip

    project, _note = decided
    with freeze_time("2026-11-20 09:00:00"):
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        claims.accept_claim(claim, people["officer"])
        _reassess(project, people, "52", django_capture_on_commit_callbacks)
    claim.refresh_from_db()
    first, second = claim.report.sequence, claim.claim_report.sequence
    with dossier_zip(project) as spool, zipfile.ZipFile(spool) as archive:
        names = set(archive.namelist())
        assert len(names) == len(archive.namelist())  # no file written twice
        earlier = json.loads(archive.read(f"assessment/final-assessment-report-{first:02d}.json"))
        newer = json.loads(archive.read(f"assessment/final-assessment-report-{second:02d}.json"))
        filed = json.loads(archive.read("assessment/claims.json"))
        assert f"reports/{first:02d}-final/version-1.json" in names
        assert f"reports/{second:02d}-final/version-1.json" in names
        assert any(n.startswith("payments/debit-note-1") for n in names)
    assert (earlier["final_grant"], earlier["balance"], earlier["superseded_by_report"]) == (
        "45000.00", "-3000.00", second)
    assert (newer["final_grant"], newer["balance"], newer["superseded_by_report"]) == ("60000.00", "12000.00", None)
    assert [(c["origin"], c["status"], c["new_version"]) for c in filed] == [("claim", "decided", second)]


def test_what_cannot_be_claimed_reopened_or_applied_says_why(ka210, people):
    """Before any decision: no claim, no reopening, no finding applied; a planned check is not done yet."""
    from eplus.projects import monitoring

    assert "only once the agency has decided" in claims.claim_problem(ka210)
    assert claims.claim_deadline(ka210) is None
    with pytest.raises(ProjectError, match="Only a decided final report"):
        claims.reopen_decision(ka210, people["officer"], "Why not.")
    planned = monitoring.save_check(ka210, people["officer"], {
        "kind": "monitoring-visit", "status": "planned", "planned_on": date(2027, 1, 10),
        "proposed_action": "recovery", "proposed_amount": "1000.00"})
    assert claims.finding_problem(planned) == "The check is not done yet."
    done = monitoring.save_check(ka210, people["officer"], {
        "kind": "desk-check", "status": "done", "done_on": date(2026, 11, 1), "findings": "Missing timesheets.",
        "proposed_action": "recovery", "proposed_amount": "1000.00"})
    monitoring.share_check(done, people["officer"])
    monitoring.answer_check(done, people["coordinator"], "They are attached now.")
    done.refresh_from_db()
    assert "has not been decided yet" in claims.finding_problem(done)


def test_an_accepted_claim_is_not_decided_again(decided, people):
    project, _note = decided
    with freeze_time("2026-11-20 09:00:00"):
        claim = claims.file_claim(project, people["coordinator"], "Score too low.")
        claim = claims.accept_claim(claim, people["officer"])
        assert claims.accept_claim(claim, people["officer"]).claim_report_id == claim.claim_report_id  # again
        with pytest.raises(ProjectError, match="already been decided"):
            claims.reject_claim(claim, people["officer"], "Too late to reject.")
        assert claims.claim_of(claim.claim_report) == claim
        assert "already open" in claims.claim_problem(project)
