"""Pages: permissions (view-only partner contacts cannot edit or submit; other organisations' users and
other agencies' staff get 404), the report form keeps what was typed, the agency decides, N+1 guards."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.urls import reverse

from eplus.projects import payments, reports
from eplus.projects import calendar as project_calendar
from eplus.projects.models import PaymentKind, ReportKind, ReportStatus
from tests.factories import PDF, log_in_reauthenticated, make_officer

from .conftest import make_application
from .test_services import fill, mark_results_submitted, sign_again


def login(client, user):
    log_in_reauthenticated(client, user)


def _report_post(report, **extra):
    data = {"language": "en", "activities": "Courses in Riga, 1-5 October 2025.", "participants": "24 welders",
            "results": "A curriculum.", "impact": "More green welding.", "dissemination": "Open days.",
            "action": "save"}
    for item in report.sections.get("budget") or reports.report_sections(report)["budget"]:
        data[f"used_{item['number']}"] = "100.00"
    data.update(extra)
    return data


def test_coordinator_sees_project_and_fills_and_submits_the_report(client, ka210, people):
    login(client, people["coordinator"])
    assert ka210.number in client.get(reverse("projects:mine")).content.decode()
    page = client.get(reverse("projects:detail", args=[ka210.pk])).content.decode()
    assert "48000.00" in page and "2026-10-30" in page
    final = ka210.reports.get(kind=ReportKind.FINAL)
    url = reverse("projects:report", args=[ka210.pk, final.pk])
    page = client.get(url).content.decode()
    assert "About Job shadowing" in page  # pre-filled from the application
    # A bad declaration: clear message, nothing typed lost.
    response = client.post(url, _report_post(final, action="submit",
                                             declaration=SimpleUploadedFile("d.pdf", b"not a pdf")))
    assert response.status_code == 200
    text = response.content.decode()
    assert "is not a PDF, PNG or JPEG file" in text and "Courses in Riga, 1-5 October 2025." in text
    # Submitting without the declaration lists what is missing.
    response = client.post(url, _report_post(final, action="submit"), follow=True)
    assert "Attach the declaration on honour" in response.content.decode()
    response = client.post(url, _report_post(final, action="submit",
                                             declaration=SimpleUploadedFile("d.pdf", PDF)))
    assert response.status_code == 302
    final.refresh_from_db()
    assert final.status == ReportStatus.SUBMITTED and final.version == 1
    assert final.sections["activities"] == "Courses in Riga, 1-5 October 2025."


def test_view_only_partner_cannot_edit_or_submit(client, ka210, people):
    login(client, people["partner"])
    final = ka210.reports.get(kind=ReportKind.FINAL)
    url = reverse("projects:report", args=[ka210.pk, final.pk])
    assert client.get(reverse("projects:detail", args=[ka210.pk])).status_code == 200
    page = client.get(url).content.decode()
    assert "Submit the report" not in page
    assert client.post(url, _report_post(final, action="submit")).status_code == 403
    assert client.get(reverse("projects:amendment_new", args=[ka210.pk])).status_code == 403
    assert client.get(reverse("projects:dossier", args=[ka210.pk])).status_code == 404
    final.refresh_from_db()
    assert final.status == ReportStatus.DRAFT and final.sections == {}


def test_other_organisations_users_and_other_agencies_get_404(client, ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    payment = ka210.payments.first()
    urls = [reverse("projects:detail", args=[ka210.pk]), reverse("projects:report", args=[ka210.pk, final.pk]),
            reverse("projects:payment_letter", args=[ka210.pk, payment.pk]),
            reverse("projects:payments_export", args=[ka210.pk]), reverse("projects:dossier", args=[ka210.pk]),
            reverse("projects:amendment_new", args=[ka210.pk]), reverse("projects:agency_project", args=[ka210.pk]),
            reverse("projects:agency_report", args=[final.pk])]
    login(client, people["outsider"])
    assert ka210.number not in client.get(reverse("projects:mine")).content.decode()
    for url in urls:
        assert client.get(url).status_code == 404, url
    login(client, make_officer("LT01"))
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert ka210.number not in client.get(reverse("projects:agency_queue")).content.decode()


def test_agency_asks_for_update_then_scores_and_approves(client, ka210, people, django_capture_on_commit_callbacks):
    payments.mark_paid(ka210.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    from eplus.projects import workflow

    workflow.submit_report(final, people["coordinator"])
    login(client, people["officer"])
    queue = client.get(reverse("projects:agency_queue")).content.decode()
    assert ka210.number in queue
    url = reverse("projects:agency_report", args=[final.pk])
    response = client.post(url, {"action": "update", "reason": ""})
    assert response.status_code == 200 and "Reason" in response.content.decode()
    client.post(url, {"action": "update", "reason": "Add the venues."})
    final.refresh_from_db()
    assert final.status == ReportStatus.UPDATE_REQUESTED
    sign_again(final, people["coordinator"])
    workflow.submit_report(final, people["coordinator"])
    response = client.post(url, {"action": "score", "overall_score": "142"})
    assert "100" in response.content.decode() and response.status_code == 200
    client.post(url, {"action": "score", "overall_score": "42"})
    page = client.get(url).content.decode()
    assert "45000.00" in page and "3000.00" in page
    response = client.post(url, {"action": "approve"})
    assert "results platform" in response.content.decode()
    mark_results_submitted(ka210)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "approve"}).status_code == 302
    page = client.get(reverse("projects:agency_project", args=[ka210.pk])).content.decode()
    assert "Recovery" in page and "3000.00" in page
    # A recovery's letter is its debit note (eplus.projects.recovery), issued with the decision.
    note = ka210.payments.get(kind=PaymentKind.RECOVERY).debit_note
    assert note.amount == Decimal("3000.00") and note.payment_reference in page
    response = client.get(reverse("projects:debit_note_pdf", args=[ka210.pk, note.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_decision_overdue_is_highlighted(client, ka210, people, settings):
    from freezegun import freeze_time

    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    from eplus.projects import workflow

    with freeze_time("2026-09-10 10:00:00"):
        workflow.submit_report(final, people["coordinator"])
    login(client, people["officer"])
    with freeze_time("2026-11-09 10:00:00"):  # day 60: still on time
        assert "Overdue" not in client.get(reverse("projects:agency_queue")).content.decode()
    with freeze_time("2026-11-10 10:00:00"):
        page = client.get(reverse("projects:agency_queue")).content.decode()
    assert "2026-11-09" in page and "Overdue" in page


def test_ical_feed_by_secret_token(client, ka210, people):
    login(client, people["coordinator"])
    client.post(reverse("projects:calendar"))
    token = project_calendar.calendar_token(people["coordinator"]).token
    client.logout()
    response = client.get(reverse("projects:ical", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    assert "20261030" in response.content.decode()
    assert client.get(reverse("projects:ical", args=["wrong-token"])).status_code == 404


def test_dossier_zip_is_built_on_post_and_served_as_stored(client, ka210, people):
    from eplus.core.models import AuditEvent
    from eplus.projects.models import ProjectDossier

    login(client, people["coordinator"])
    url = reverse("projects:dossier", args=[ka210.pk])
    assert client.get(url).status_code == 404  # nothing built yet, and a GET builds nothing
    assert not ProjectDossier.objects.exists()
    page = client.get(reverse("projects:detail", args=[ka210.pk])).content.decode()
    assert "Prepare the project dossier (ZIP)" in page and "Download the project dossier" not in page
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("projects:detail", args=[ka210.pk])
    stored = ProjectDossier.objects.get(project=ka210)
    assert stored.built_by == people["coordinator"]
    assert "Download the project dossier (ZIP, prepared" in client.get(response["Location"]).content.decode()
    events = AuditEvent.objects.count()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert AuditEvent.objects.count() == events and ProjectDossier.objects.count() == 1  # the GET wrote nothing
    first = stored.file.name
    client.post(url)  # built again: one dossier, the earlier file replaced
    stored.refresh_from_db()
    assert ProjectDossier.objects.count() == 1 and stored.file.name != first


def test_officer_builds_the_dossier_from_the_agency_page(client, ka210, people):
    login(client, people["officer"])
    response = client.post(reverse("projects:dossier", args=[ka210.pk]))
    assert response["Location"] == reverse("projects:agency_project", args=[ka210.pk])
    response = client.get(reverse("projects:dossier", args=[ka210.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"


def test_the_beneficiary_dossier_has_only_shared_checks_and_the_agency_dossier_has_all(client, ka210, people):
    """Review 14 #2: one stored dossier per audience; a beneficiary never gets an unshared check."""
    import io
    import json
    import zipfile

    from eplus.projects import monitoring
    from eplus.projects.models import ProjectDossier

    officer = people["officer"]
    check = {"kind": "audit", "status": "done", "done_on": date(2026, 2, 1), "proposed_action": "recovery",
             "proposed_amount": Decimal("20000.00")}
    hidden = monitoring.save_check(ka210, officer, {**check, "findings": "Suspected double funding."},
                                   report_file=SimpleUploadedFile("secret-audit.pdf", PDF))
    shared = monitoring.share_check(monitoring.save_check(ka210, officer, {
        **check, "kind": "desk-check", "findings": "One invoice is missing.", "proposed_amount": Decimal("500.00")}),
        officer)
    url = reverse("projects:dossier", args=[ka210.pk])

    def download():
        response = client.get(url)
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        trail = json.loads(archive.read("audit/audit-trail.json"))
        return (archive.namelist(), json.loads(archive.read("checks/checks.json")),
                {row["object"] for row in trail})

    login(client, people["coordinator"])
    client.post(url)
    names, checks, objects = download()
    assert [(c["id"], c["findings"]) for c in checks] == [(shared.pk, "One invoice is missing.")]
    assert not any("secret-audit" in n for n in names) and f"projects.projectcheck#{hidden.pk}" not in objects
    assert f"projects.projectcheck#{shared.pk}" in objects
    assert ProjectDossier.objects.get(project=ka210).audience == "beneficiary"

    client.logout()
    login(client, officer)
    client.post(url)
    names, checks, objects = download()
    assert [c["id"] for c in checks] == [hidden.pk, shared.pk]
    assert any(n.startswith(f"checks/{hidden.pk}-audit-") for n in names)
    assert f"projects.projectcheck#{hidden.pk}" in objects
    assert set(ProjectDossier.objects.filter(project=ka210).values_list("audience", flat=True)) == {
        "agency", "beneficiary"}
    # The coordinator still downloads its own copy, not the agency's one built last.
    client.logout()
    login(client, people["coordinator"])
    assert [c["id"] for c in download()[1]] == [shared.pk]


def test_amendment_request_keeps_input_on_error(client, ka210, people):
    login(client, people["coordinator"])
    url = reverse("projects:amendment_new", args=[ka210.pk])
    response = client.post(url, {"kind": "dates", "description": "Extend by two months.", "start_date": "2025-09-01",
                                 "end_date": "not a date"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "error-summary" in text and "Extend by two months." in text
    assert client.post(url, {"kind": "dates", "description": "Extend.", "start_date": "2025-09-01",
                             "end_date": "2026-10-31"}).status_code == 302


# --- N+1 guards ----------------------------------------------------------------------------------

def _projects(people, count):
    from eplus.projects.creation import create_project

    for _ in range(count):
        application = make_application("KA210", lump_sum="60000", applicant=people["applicant"],
                                       partners=[people["partner_org"]], months=12)
        project = create_project(application, signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1),
                                 end_date=date(2026, 8, 31), lump_sum=Decimal("60000"))
        final = project.reports.get(kind=ReportKind.FINAL)
        fill(final, people["coordinator"], used="1")
        from eplus.projects import workflow

        workflow.submit_report(final, people["coordinator"])


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name,who", [("projects:mine", "coordinator"), ("projects:agency_queue", "officer")])
def test_list_pages_constant_queries(client, people, name, who):
    login(client, people[who])
    _projects(people, 1)
    one = _queries(client, reverse(name))
    _projects(people, 2)
    three = _queries(client, reverse(name))
    assert three == one


def test_api_lists_only_the_users_projects(client, ka210, people):
    login(client, people["partner"])
    rows = client.get("/api/v1/projects/").json()
    assert [(r["number"], r["access"]) for r in rows] == [(ka210.number, "view")]
    detail = client.get(f"/api/v1/projects/{ka210.pk}").json()
    assert [(p["kind"], p["amount"]) for p in detail["payments"]] == [("prefinancing", "48000.00"),
                                                                     ("balance", "12000.00")]
    login(client, people["outsider"])
    assert client.get("/api/v1/projects/").json() == []
    assert client.get(f"/api/v1/projects/{ka210.pk}").status_code == 404


def test_each_versions_declaration_opens_for_the_project_and_not_for_others(client, ka210, people):
    from eplus.projects import workflow

    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    workflow.request_update(final, people["officer"], "Sign again.")
    sign_again(final, people["coordinator"])
    workflow.submit_report(final, people["coordinator"])
    first = reverse("projects:version_declaration", args=[ka210.pk, final.pk, 1])
    second = reverse("projects:version_declaration", args=[ka210.pk, final.pk, 2])
    login(client, people["coordinator"])
    page = client.get(reverse("projects:report", args=[ka210.pk, final.pk])).content.decode()
    assert first in page and second in page
    one, two = b"".join(client.get(first).streaming_content), b"".join(client.get(second).streaming_content)
    assert one.startswith(b"%PDF") and two.endswith(f"% {final.pk}\n".encode()) and one != two
    assert client.get(reverse("projects:version_declaration", args=[ka210.pk, final.pk, 3])).status_code == 404
    login(client, people["outsider"])
    assert client.get(first).status_code == 404


def test_documents_the_agency_asks_for_must_be_attached_before_resubmission(client, ka210, people, mailoutbox):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eplus.projects import workflow
    from eplus.projects.models import ReportDocument
    from tests.factories import PDF

    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    login(client, people["officer"])
    client.post(reverse("projects:agency_report", args=[final.pk]),
                {"action": "update", "reason": "Add the attendance lists.",
                 "documents": "Attendance lists of the pilot courses\n\nPhotos of the workshop\n"})
    final.refresh_from_db()
    assert final.requested_documents == ["Attendance lists of the pilot courses", "Photos of the workshop"]
    notice = next(m for m in mailoutbox if "Attendance lists of the pilot courses" in m.body)
    assert "Photos of the workshop" in notice.body
    sign_again(final, people["coordinator"])
    with pytest.raises(workflow.NotReady) as refused:
        workflow.submit_report(final, people["coordinator"])
    assert refused.value.problems == ["Attach “Attendance lists of the pilot courses”: the agency asked for it.",
                                      "Attach “Photos of the workshop”: the agency asked for it."]
    # The beneficiary attaches them on the report page (a refused file is named, the text kept).
    login(client, people["coordinator"])
    page_url = reverse("projects:report", args=[ka210.pk, final.pk])
    page = client.get(page_url).content.decode()
    assert "Attendance lists of the pilot courses (asked for by the agency)" in page
    data = {key: value for key, value in forms_initial(final).items()}
    bad = client.post(page_url, {**data, "action": "save", "document_0": SimpleUploadedFile("list.exe", b"MZ...")})
    assert bad.status_code == 200 and "not a PDF, PNG or JPEG" in bad.content.decode()
    client.post(page_url, {**data, "action": "save", "document_0": SimpleUploadedFile("lists.pdf", PDF),
                           "document_1": SimpleUploadedFile("photos.pdf", PDF + b"%photos\n")})
    assert sorted(ReportDocument.objects.filter(report=final).values_list("title", flat=True)) == [
        "Attendance lists of the pilot courses", "Photos of the workshop"]
    workflow.submit_report(final, people["coordinator"])
    document = ReportDocument.objects.get(report=final, title="Photos of the workshop")
    url = reverse("projects:report_document", args=[ka210.pk, final.pk, document.pk])
    assert b"".join(client.get(url).streaming_content).endswith(b"%photos\n")
    login(client, people["officer"])
    assert url in client.get(reverse("projects:agency_report", args=[final.pk])).content.decode()
    login(client, people["outsider"])
    assert client.get(url).status_code == 404


def forms_initial(report):
    """The report form's fields as the page shows them, to post back unchanged."""
    from eplus.projects.forms import ReportForm

    data = {k: v for k, v in ReportForm.initial_for(report).items() if v is not None}
    return {k: str(v) for k, v in data.items()}
