"""The post-award pages' other answers (issue 14): every form error shown on the page with what was typed, every
refusal a clear message or a 403/404 — termination, checks, claims and the experts' final-report pages."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from freezegun import freeze_time

from eplus.evaluation import final_reports as fr
from eplus.projects import claims, monitoring, termination
from eplus.projects.models import ProjectCheck, ReportKind
from tests.factories import PDF, log_in_reauthenticated as login

from .test_recovery import NOTIFIED, approve_with_score_42

D = Decimal


def test_termination_pages_answer_every_case(client, ka220, people):
    mine = reverse("projects:termination", args=[ka220.pk])
    agency = reverse("projects:agency_termination", args=[ka220.pk])
    login(client, people["partner"])  # a partner's contact person: may read, not act
    assert client.post(mine, {"action": "request", "reason": "x", "effective_date": "2027-01-01"}).status_code == 403
    login(client, people["coordinator"])
    assert client.post(mine, {"action": "answer", "observations": "x"}).status_code == 403  # no notice to answer
    assert client.post(mine, {"action": "dance"}).status_code == 403
    empty = client.post(mine, {"action": "request", "reason": "", "effective_date": "2027-01-01"})
    assert empty.status_code == 200 and "error" in empty.content.decode()
    typed = {"action": "request", "reason": "The partner closed.", "effective_date": "2027-01-01"}
    assert client.post(mine, typed).status_code == 302
    assert client.post(mine, typed).status_code == 302  # a double click: the same request
    assert ka220.terminations.count() == 1
    login(client, people["officer"])
    assert "Choose an action" in client.post(agency, {"action": "dance"}).content.decode()
    current = termination.open_termination(ka220)
    refused = client.post(agency, {"action": "refuse", "termination": current.pk, "reason": "Keep going."})
    assert refused.status_code == 302
    assert client.post(agency, {"action": "notice", "reason": "Nothing happened for a year."}).status_code == 302
    login(client, people["coordinator"])
    answer = client.post(mine, {"action": "answer", "observations": "x" * 10001})
    assert answer.status_code == 200 and "x" * 50 in answer.content.decode()


def test_check_pages_answer_every_case(client, ka210, people):
    officer, coordinator = people["officer"], people["coordinator"]
    new = reverse("projects:agency_checks", args=[ka210.pk])
    login(client, officer)
    bad_file = client.post(new, {"kind": "audit", "status": "done", "done_on": "2026-11-30", "proposed_action": "none",
                                 "report_file": SimpleUploadedFile("report.pdf", b"not a pdf")})
    assert bad_file.status_code in (200, 400) and not ProjectCheck.objects.exists()
    no_date = client.post(new, {"kind": "audit", "status": "done", "proposed_action": "none", "findings": "Kept."})
    assert "Give the date the check was done." in no_date.content.decode() and "Kept." in no_date.content.decode()
    saved = client.post(new, {"kind": "audit", "status": "done", "done_on": "2026-11-30", "proposed_action": "none",
                              "findings": "All fine.", "report_file": SimpleUploadedFile("report.pdf", PDF)})
    assert saved.status_code == 302
    check = ProjectCheck.objects.get()
    url = reverse("projects:agency_check", args=[ka210.pk, check.pk])
    changed = client.post(url, {"action": "save", "kind": "audit", "status": "done", "done_on": "2026-11-30",
                                "proposed_action": "none", "findings": "All fine, really."})
    assert changed.status_code == 302
    report = reverse("projects:check_report", args=[ka210.pk, check.pk])
    assert client.get(report).status_code == 200  # the agency reads it before sharing
    applied = client.post(url, {"action": "apply"})
    assert applied.status_code == 400 and "proposes no reduction or recovery" in applied.content.decode()
    login(client, coordinator)
    assert client.get(report).status_code == 404  # not shared yet
    monitoring.share_check(check, officer)
    assert client.get(report).status_code == 200
    login(client, officer)
    assert client.post(url, {"action": "share"}).status_code == 302  # shared already: nothing more
    login(client, coordinator)
    page = reverse("projects:checks", args=[ka210.pk])
    ProjectCheck.objects.filter(pk=check.pk).update(answer_due=date(2026, 1, 1))  # the period to answer is over
    late = client.post(page, {"check": check.pk, "answer": "Late, but typed."})
    assert late.status_code == 200 and "The period to answer ended" in late.content.decode()
    assert "Late, but typed." in late.content.decode()
    assert client.post(page, {"check": "x", "answer": "?"}).status_code == 404
    login(client, people["partner"])
    assert client.post(page, {"check": check.pk, "answer": "Not mine."}).status_code in (403, 404)


def test_claim_pages_answer_every_case(client, ka210, people, django_capture_on_commit_callbacks):
    with freeze_time(NOTIFIED):
        approve_with_score_42(ka210, people, django_capture_on_commit_callbacks)
    mine = reverse("projects:claims", args=[ka210.pk])
    agency = reverse("projects:agency_claims", args=[ka210.pk])
    login(client, people["partner"])
    assert client.post(mine, {"reason": "Not my project to claim."}).status_code == 403
    login(client, people["coordinator"])
    late = client.post(mine, {"reason": "Too late, but typed."})  # the claim period ended on 2 December
    assert late.status_code == 400 and "Too late, but typed." in late.content.decode()
    assert "ended on 2026-12-02" in late.content.decode()
    login(client, people["officer"])
    assert "Choose an action" in client.post(agency, {"action": "dance"}).content.decode()
    assert "Give the reason for reopening" in client.post(agency, {"action": "reopen", "reason": ""}).content.decode()
    assert client.post(agency, {"action": "reopen", "reason": "The balance was wrong."}).status_code == 302
    assert claims.open_claim(ka210).origin == "reopening"
    again = client.post(agency, {"action": "reopen", "reason": "Another reason."})
    assert again.status_code == 400 and "already open" in again.content.decode()


def test_final_report_expert_pages_answer_every_case(client, ka220, people, settings):
    from tests.evaluation import factories as f
    from tests.projects.test_services import fill
    from eplus.projects import payments, workflow

    payments.mark_paid(ka220.payments.get(kind="prefinancing"), people["officer"])
    final = ka220.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    first, second = f.expert(), f.expert()
    url = reverse("evaluation:final_report", args=[final.pk])
    login(client, people["officer"])
    assert "Choose an action" in client.post(url, {"action": "dance"}).content.decode()
    assert client.post(url, {"action": "assign", "expert": first.pk}).status_code == 302
    assert client.post(url, {"action": "assign", "expert": second.pk}).status_code == 302
    review = final.expert_reviews.get(expert=second)
    assert client.post(url, {"action": "unassign", "review": review.pk}).status_code == 302
    assert not final.expert_reviews.filter(expert=second).exists()
    blocked = client.post(url, {"action": "approve"})  # the assigned expert has not assessed it
    assert blocked.status_code == 400
    call = ka220.call
    call.other_rules = {k: v for k, v in call.other_rules.items() if k != "final_report_experts_max"}
    call.save()
    assert client.get(url).status_code == 200  # a call without the figure: no form, the page still opens
    mine = final.expert_reviews.get(expert=first)
    page = reverse("evaluation:final_report_review", args=[mine.pk])
    login(client, first)
    conflict = client.post(page, {"no_conflict": "no", "note": ""})  # a conflict needs a description
    assert conflict.status_code == 400
    assert client.post(page, {"no_conflict": "yes"}).status_code == 302
    labels = fr.score_keys(ka220)
    draft = client.post(page, {"save": "1", **{f"score_{k}": "70" for k in labels}})
    assert draft.status_code == 302
    mine.refresh_from_db()
    assert not mine.is_submitted and mine.scores
    wrong = client.post(page, {"submit": "1", **{f"score_{k}": "101" for k in labels}})
    assert wrong.status_code == 400
    done = client.post(page, {"submit": "1", **{f"score_{k}": "70" for k in labels},
                              **{f"comment_{k}": "Done as planned." for k in labels}})
    assert done.status_code == 302
    again = client.post(page, {"submit": "1", **{f"score_{k}": "20" for k in labels},
                               **{f"comment_{k}": "Changed my mind." for k in labels}})
    assert again.status_code in (200, 302, 400)  # submitted: it cannot be changed any more
    mine.refresh_from_db()
    assert mine.is_submitted and all(D(v) == D("70") for v in mine.scores.values())
