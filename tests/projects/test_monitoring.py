"""Checks, monitoring visits and audits (issue 14, item 7): the agency records them (planned, done, report file,
findings, a proposed reduction or recovery with its amount), shares them; the beneficiary sees only what was
shared and answers within the call's finding_answer_days; all of it is in the auditors' dossier; wrong roles by
guessed URLs; audit events; double submissions."""

import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from freezegun import freeze_time

from eplus.core.audit import history
from eplus.projects import dossier, figures, monitoring
from eplus.projects.base import ProjectError
from eplus.projects.models import Project, ProjectCheck
from eplus.projects.rules import beneficiary_checks
from tests.factories import PDF

from .conftest import make_officer
from .test_views import login

D = Decimal


def _audit(project, officer, **extra):
    data = {"kind": "audit", "status": "done", "done_on": date(2027, 2, 1),
            "findings": "Two invoices of the pilot courses are missing.", "proposed_action": "recovery",
            "proposed_amount": D("2500.00"), **extra}
    return monitoring.save_check(project, officer, data, report_file=SimpleUploadedFile("audit.pdf", PDF))


def test_a_shared_finding_gets_30_days_for_the_answer_and_is_answered_once(ka220, people):
    officer, coordinator = people["officer"], people["coordinator"]
    with freeze_time("2027-02-03 10:00"):
        check = _audit(ka220, officer)
        assert (check.proposed_action, check.proposed_amount, check.report_name) == ("recovery", D("2500.00"),
                                                                                     "audit.pdf")
        assert check.report_file.read() == PDF and check.answer_due is None
        assert not beneficiary_checks(ka220).exists()  # not shared yet
        shared = monitoring.share_check(check, officer)
        assert shared.answer_due == date(2027, 3, 5)  # 3 February + 30 days (finding_answer_days)
        assert monitoring.share_check(check, officer).shared_on == date(2027, 2, 3)
    with freeze_time("2027-03-05 22:00"):  # 23:00 Brussels: still the last day
        answered = monitoring.answer_check(check, coordinator, "The invoices are attached to the final report.")
        again = monitoring.answer_check(check, coordinator, "Another answer.")
    assert again.beneficiary_answer == "The invoices are attached to the final report."
    assert answered.answered_by == coordinator
    assert list(history(check).order_by("at", "id").values_list("verb", flat=True)) == [
        "record-check", "share-check", "answer-check"]
    with pytest.raises(ProjectError, match="answered"):
        monitoring.save_check(ka220, officer, {"kind": "audit", "status": "done", "done_on": date(2027, 2, 1)},
                              check=check)


def test_an_answer_after_the_period_is_refused(ka220, people):
    with freeze_time("2027-02-03 10:00"):
        check = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    with freeze_time("2027-03-06 10:00"), pytest.raises(ProjectError, match="ended on"):
        monitoring.answer_check(check, people["coordinator"], "Late.")
    check.refresh_from_db()
    assert check.answered_at is None


def test_a_planned_visit_then_done_and_the_inputs_are_checked(ka220, people):
    officer = people["officer"]
    with pytest.raises(ProjectError, match="planned for"):
        monitoring.save_check(ka220, officer, {"kind": "monitoring-visit", "status": "planned"})
    with pytest.raises(ProjectError, match="amount"):
        monitoring.save_check(ka220, officer, {"kind": "desk-check", "status": "done", "done_on": date(2027, 1, 5),
                                               "proposed_action": "reduction"})
    with pytest.raises(ProjectError, match="more than the project's grant"):
        monitoring.save_check(ka220, officer, {"kind": "desk-check", "status": "done", "done_on": date(2027, 1, 5),
                                               "proposed_action": "reduction", "proposed_amount": D("250000.01")})
    visit = monitoring.save_check(ka220, officer, {"kind": "monitoring-visit", "status": "planned",
                                                   "planned_on": date(2027, 4, 1)})
    visit = monitoring.share_check(visit, officer)
    assert visit.answer_due is None  # nothing to answer yet
    with freeze_time("2027-04-02 10:00"):
        visit = monitoring.save_check(ka220, officer, {"kind": "monitoring-visit", "status": "done",
                                                       "planned_on": date(2027, 4, 1), "done_on": date(2027, 4, 1),
                                                       "findings": "The courses run as planned.",
                                                       "proposed_action": "none"}, check=visit)
    assert (visit.status, visit.proposed_amount, visit.answer_due) == ("done", None, date(2027, 5, 2))
    with pytest.raises(PermissionDenied):
        monitoring.save_check(ka220, people["coordinator"], {"kind": "audit", "status": "planned",
                                                             "planned_on": date(2027, 4, 1)})
    with pytest.raises(PermissionDenied):
        monitoring.share_check(visit, make_officer("LT01"))


def test_the_call_without_the_figure_refuses_sharing_findings(ka220, people):
    rules = dict(ka220.call.other_rules)
    rules.pop("finding_answer_days")
    ka220.call.other_rules = rules
    ka220.call.save()
    project = Project.objects.get(pk=ka220.pk)
    check = _audit(project, people["officer"])
    with pytest.raises(figures.MissingFigure, match="answer a finding"):
        monitoring.share_check(check, people["officer"])
    check.refresh_from_db()
    assert not check.shared


def test_everything_is_in_the_auditors_dossier(ka220, people):
    check = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    monitoring.answer_check(check, people["coordinator"], "Attached.")
    with dossier.dossier_zip(ka220) as spool, zipfile.ZipFile(spool) as archive:
        checks = json.loads(archive.read("checks/checks.json"))
        assert [(c["kind"], c["proposed_action"], c["proposed_amount"], c["beneficiary_answer"]) for c in checks] == [
            ("audit", "recovery", "2500.00", "Attached.")]
        names = archive.namelist()
        assert any(n.startswith(f"checks/{check.pk}-audit-") for n in names)
        assert "terminations.json" in names
        trail = json.loads(archive.read("audit/audit-trail.json"))
        assert {"record-check", "share-check", "answer-check"} <= {row["verb"] for row in trail}


# --- pages and roles --------------------------------------------------------------------------------------

def test_the_agency_records_through_its_pages_and_the_beneficiary_answers_through_its_own(client, ka220, people):
    login(client, people["officer"])
    url = reverse("projects:agency_checks", args=[ka220.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {"kind": "audit", "status": "done", "proposed_action": "none"}).content.decode()
    assert "Give the date the check was done." in page
    bad = client.post(url, {"kind": "audit", "status": "done", "done_on": "2027-02-01", "proposed_action": "none",
                            "report_file": SimpleUploadedFile("audit.exe", b"MZ\x90\x00not a pdf")})
    assert bad.status_code == 200 and "PDF, PNG or JPEG" in bad.content.decode()
    assert client.post(url, {"kind": "audit", "status": "done", "done_on": "2027-02-01", "findings": "Missing.",
                             "proposed_action": "reduction", "proposed_amount": "1000.00",
                             "report_file": SimpleUploadedFile("audit.pdf", PDF)}).status_code == 302
    check = ProjectCheck.objects.get(project=ka220)
    detail = reverse("projects:agency_check", args=[ka220.pk, check.pk])
    assert client.post(detail, {"action": "share"}).status_code == 302
    login(client, people["coordinator"])
    mine = reverse("projects:checks", args=[ka220.pk])
    assert "Missing." in client.get(mine).content.decode()
    assert client.get(reverse("projects:check_report", args=[ka220.pk, check.pk])).status_code == 200
    assert "Write your answer" in client.post(mine, {"check": check.pk, "answer": ""}).content.decode()
    assert client.post(mine, {"check": check.pk, "answer": "Here is why."}).status_code == 302
    check.refresh_from_db()
    assert check.beneficiary_answer == "Here is why."
    login(client, people["officer"])
    assert detail in client.get(reverse("projects:agency_queue")).content.decode()


def test_the_answer_error_links_to_the_textarea_of_its_check(client, ka220, people):
    first = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    second = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    login(client, people["coordinator"])
    mine = reverse("projects:checks", args=[ka220.pk])
    page = client.get(mine).content.decode()
    for check in (first, second):  # one form per check, each with its own ids
        assert f'<label for="answer-{check.pk}-answer">' in page and f'id="answer-{check.pk}-answer"' in page
    response = client.post(mine, {"check": second.pk, "answer": "  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#answer-{second.pk}-answer">Your answer to the findings: Write your answer to the findings.</a>' \
        in page
    assert f'<div id="answer-{second.pk}-answer_error"><p class="error-message">Write your answer' in page
    assert f'aria-describedby="answer-{second.pk}-answer_error"' in page
    assert page.count('class="error-summary"') == 1  # only the form that was posted


def test_wrong_roles_get_404_or_403_on_guessed_urls(client, ka220, people):
    hidden = _audit(ka220, people["officer"])
    shared = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    mine = reverse("projects:checks", args=[ka220.pk])
    agency = reverse("projects:agency_checks", args=[ka220.pk])
    detail = reverse("projects:agency_check", args=[ka220.pk, shared.pk])
    report = reverse("projects:check_report", args=[ka220.pk, hidden.pk])
    login(client, people["coordinator"])
    assert client.get(report).status_code == 404  # not shared: not there for the beneficiary
    assert str(hidden.pk) not in [str(c.pk) for c in beneficiary_checks(ka220)]
    assert client.get(agency).status_code == 404 and client.get(detail).status_code == 404
    assert client.post(mine, {"check": hidden.pk, "answer": "Guessed."}).status_code == 404
    login(client, people["partner"])  # view rights: reads, cannot answer
    assert client.get(mine).status_code == 200
    assert client.post(mine, {"check": shared.pk, "answer": "No."}).status_code == 403
    login(client, people["outsider"])
    assert client.get(mine).status_code == 404
    assert client.get(reverse("projects:check_report", args=[ka220.pk, shared.pk])).status_code == 404
    login(client, make_officer("LT01"))
    assert client.get(agency).status_code == 404 and client.get(detail).status_code == 404
    assert client.post(detail, {"action": "share"}).status_code == 404
    hidden.refresh_from_db()
    assert not hidden.shared and not ProjectCheck.objects.exclude(beneficiary_answer="").exists()


def test_the_new_pages_render_in_latvian_and_the_project_page_says_what_awaits(client, ka220, people):
    from eplus.projects import termination

    check = monitoring.share_check(_audit(ka220, people["officer"]), people["officer"])
    termination.send_notice(ka220, people["officer"], "Reason.")
    login(client, people["officer"])
    for url in (reverse("projects:agency_checks", args=[ka220.pk]),
                reverse("projects:agency_check", args=[ka220.pk, check.pk]),
                reverse("projects:agency_termination", args=[ka220.pk])):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="lv")
        assert response.status_code == 200 and 'lang="lv"' in response.content.decode()[:80]
    login(client, people["coordinator"])
    for url in (reverse("projects:checks", args=[ka220.pk]), reverse("projects:termination", args=[ka220.pk])):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="lv")
        assert response.status_code == 200 and 'lang="lv"' in response.content.decode()[:80]
    page = client.get(reverse("projects:detail", args=[ka220.pk])).content.decode()
    assert "1 finding awaits an answer." in page and "The agency has sent a termination notice" in page


def test_findings_added_to_a_check_already_shared_tell_the_beneficiary_and_start_its_period(ka220, people):
    """Review 14 #13: a check shared before its findings (a planned visit); the findings notify when added."""
    from django.core import mail

    officer, coordinator = people["officer"], people["coordinator"]
    with freeze_time("2027-02-03 10:00"):
        visit = monitoring.save_check(ka220, officer, {"kind": "monitoring-visit", "status": "planned",
                                                       "planned_on": date(2027, 2, 20)})
        visit = monitoring.share_check(visit, officer)
    assert visit.answer_due is None
    mail.outbox.clear()
    with freeze_time("2027-02-21 10:00"):
        visit = monitoring.save_check(ka220, officer, {
            "kind": "monitoring-visit", "status": "done", "done_on": date(2027, 2, 20),
            "findings": "The training room was not equipped."}, check=visit)
        again = monitoring.save_check(ka220, officer, {
            "kind": "monitoring-visit", "status": "done", "done_on": date(2027, 2, 20),
            "findings": "The training room was not equipped (photos)."}, check=visit)
    assert visit.answer_due == date(2027, 3, 23) == again.answer_due  # 21 February + 30 days, set once
    told = [m for m in mail.outbox if coordinator.email in m.to]
    assert len(told) == 1 and "2027-03-23" in told[0].body
