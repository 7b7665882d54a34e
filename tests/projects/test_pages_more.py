"""The rest of the pages and verbs: the agency's actions through its project and report pages, the
documents (declaration, exports, letters served only once stored), the creation's inputs and the feed."""

import io
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eplus.applications.models import ApplicationAccess
from eplus.projects import amendments, payments, queries, workflow
from eplus.projects.calendar import _fold, ical_feed
from eplus.projects.creation import create_project, refresh_card
from eplus.projects.models import AmendmentStatus, PaymentKind, ProjectAccess, ProjectStatus, ReportKind, ReportStatus

from .conftest import PDF, make_application, make_user
from .test_services import _interim_submitted, fill
from .test_views import _report_post, login


def test_the_agency_decides_amendments_through_its_project_page(client, ka210, people):
    url = reverse("projects:agency_project", args=[ka210.pk])
    amendment = amendments.request_amendment(ka210, people["coordinator"], kind="dates", description="Later.",
                                             proposed={"start_date": "2025-09-01", "end_date": "2026-10-31"})
    login(client, people["officer"])
    assert "Choose an action." in client.post(url, {"action": "nothing"}).content.decode()
    page = client.post(url, {"action": "reject-amendment", "amendment": amendment.pk}).content.decode()
    assert "Give the reason for rejecting" in page
    assert client.post(url, {"action": "reject-amendment", "amendment": amendment.pk,
                             "reason": "Not needed."}).status_code == 302
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.REJECTED
    assert client.post(url, {"action": "paid", "payment": ka210.payments.get(kind="prefinancing").pk}).status_code \
        == 302
    # Termination has its own procedure and page now (tests/projects/test_termination.py).
    assert "Choose an action." in client.post(url, {"action": "terminate", "reason": "Fraud."}).content.decode()
    ka210.refresh_from_db()
    assert ka210.status == ProjectStatus.ONGOING


def test_the_agency_accepts_or_cancels_through_the_report_page(client, ka220, people):
    interim = _interim_submitted(ka220, people, "75000")
    login(client, people["officer"])
    url = reverse("projects:agency_report", args=[interim.pk])
    assert client.post(url, {"action": "accept"}).status_code == 302
    interim.refresh_from_db()
    assert interim.status == ReportStatus.ACCEPTED
    final = ka220.reports.get(kind=ReportKind.FINAL)
    response = client.post(reverse("projects:agency_report", args=[final.pk]), {"action": "cancel",
                                                                                "reason": "Replaced."})
    assert response.status_code == 302
    final.refresh_from_db()
    assert final.status == ReportStatus.CANCELLED
    page = client.post(url, {"action": "approve"}).content.decode()
    assert "Only the final report is approved" in page


def test_documents_declaration_exports_and_letters(client, ka210, people, django_capture_on_commit_callbacks):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    login(client, people["partner"])
    declaration = reverse("projects:report_declaration", args=[ka210.pk, final.pk])
    assert client.get(declaration).status_code == 404  # none attached yet
    fill(final, people["coordinator"], used="1")
    response = client.get(declaration)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    xlsx = client.get(reverse("projects:payments_export_xlsx", args=[ka210.pk]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    payment = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    letter = reverse("projects:payment_letter", args=[ka210.pk, payment.pk])
    assert client.get(letter).status_code == 404  # not rendered yet: a GET renders nothing
    payment.refresh_from_db()
    assert not payment.letter
    payments.store_letter(payment)
    assert client.get(letter).status_code == 200
    login(client, people["officer"])
    assert client.get(reverse("projects:agency_payments_export_xlsx")).content[:2] == b"PK"
    assert client.get(reverse("projects:calendar")).status_code == 302  # a GET changes no token


def test_report_page_shows_a_refusal_and_people_page_an_error(client, ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    ka210.status = ProjectStatus.TERMINATED
    ka210.save()
    login(client, people["coordinator"])
    response = client.post(reverse("projects:report", args=[ka210.pk, final.pk]), _report_post(final))
    assert response.status_code == 200 and "has been terminated" in response.content.decode()
    url = reverse("projects:people", args=[ka210.pk])
    response = client.post(url, {f"level_{people['partner'].pk}": "view"})
    assert response.status_code in (200, 302)


def test_creation_takes_an_agreement_as_a_file_and_keeps_edit_shares(people):
    colleague = make_user()
    from eplus.organisations.models import Membership, Role

    Membership.objects.create(organisation=people["applicant"], user=colleague, role=Role.MEMBER)
    application = make_application("KA210", lump_sum="60000", applicant=people["applicant"], months=12,
                                   items=[("Meeting", "not money"), ("Shadowing", "60000")])
    ApplicationAccess.objects.create(application=application, user=colleague, level="edit")
    project = create_project(application, signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1),
                             end_date=date(2026, 8, 31), lump_sum=Decimal("60000"), agreement_pdf=io.BytesIO(PDF))
    assert project.agreement_pdf.read() == PDF
    assert project.budget_items[0]["amount"] == "0.00"
    assert ProjectAccess.objects.get(project=project, user=colleague).level == "edit"
    other = make_application("KA210", lump_sum="60000", applicant=people["applicant"], months=12)
    named = ContentFile(PDF, name="signed.pdf")
    project = create_project(other, signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1),
                             end_date=date(2026, 8, 31), lump_sum=Decimal("60000"), agreement_pdf=named)
    assert project.agreement_pdf.name.endswith("signed.pdf")


def test_without_a_card_or_submission_the_reads_say_so(ka210, people):
    from eplus.results.models import ProjectCard

    ProjectCard.objects.filter(identifier=ka210.number).delete()
    assert queries.project_card(ka210) is None and not queries.results_submitted(ka210)
    assert refresh_card(ka210) is None
    ka210.application.submissions.all().delete()
    assert "sections" in queries.application_snapshot(ka210.application)


def test_the_feed_folds_long_lines_and_skips_cancelled_reports(ka210, people):
    folded = _fold("SUMMARY:" + "ā" * 60)
    assert all(len(line.encode()) <= 75 for line in folded.split("\r\n"))
    final = ka210.reports.get(kind=ReportKind.FINAL)
    workflow.cancel_report(final, people["officer"], "Replaced.")
    assert f"report-{final.pk}@eplus" not in ical_feed(people["coordinator"], [ka210])


def test_a_declaration_that_is_not_a_document_is_refused(client, ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    login(client, people["coordinator"])
    response = client.post(reverse("projects:report", args=[ka210.pk, final.pk]),
                           _report_post(final, declaration=SimpleUploadedFile("d.pdf", b"MZ not a pdf")))
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    html = SimpleUploadedFile("declaration.html", b"<html><script>alert(1)</script></html>")
    response = client.post(reverse("projects:report", args=[ka210.pk, final.pk]), _report_post(final, declaration=html))
    assert "is not a PDF, PNG or JPEG file" in response.content.decode()
    final.refresh_from_db()
    assert not final.declaration


def test_amendment_requests_are_refused_with_what_to_fix(ka210, people):
    import pytest

    from eplus.organisations.models import Organisation
    from eplus.projects.base import ProjectError

    def ask(kind="dates", description="Why.", **proposed):
        return amendments.request_amendment(ka210, people["coordinator"], kind=kind, description=description,
                                            proposed=proposed)

    with pytest.raises(ProjectError, match="Choose what the amendment changes"):
        ask(kind="colour")
    with pytest.raises(ProjectError, match="Describe the change"):
        ask(description=" ")
    with pytest.raises(ProjectError, match="end date must be after"):
        ask(start_date="2026-09-01", end_date="2026-01-01")
    with pytest.raises(ProjectError, match="is not a partner"):
        ask(kind="partners", partner_action="remove", partner_oid=Organisation.objects.get(
            legal_name="Other Organisation").oid)
    with pytest.raises(ProjectError, match="in euros"):
        ask(kind="budget", amount_1="1e400", amount_2="x")
    ka210.status = ProjectStatus.FINALISED
    ka210.save()
    with pytest.raises(ProjectError, match="closed"):
        ask(start_date="2025-09-01", end_date="2026-10-31")


def test_payments_and_the_dossier_hold_hostile_text_as_text(client, ka210, ka220, people):
    import zipfile

    from eplus.core.audit import record
    from eplus.projects import dossier
    from tests.exports_check import HOSTILE, assert_csv_is_safe, assert_xlsx_is_safe

    ka210.payments.filter(kind=PaymentKind.PREFINANCING).update(status_reason=HOSTILE)
    record(ka210, "update", verb="correct", reason="@SUM(A1:A9)")
    login(client, people["coordinator"])
    assert_csv_is_safe(client.get(reverse("projects:payments_export", args=[ka210.pk])).content.decode(), HOSTILE)
    assert_xlsx_is_safe(client.get(reverse("projects:payments_export_xlsx", args=[ka210.pk])).content, HOSTILE)
    login(client, people["officer"])
    assert_csv_is_safe(client.get(reverse("projects:agency_payments_export")).content.decode(), HOSTILE)
    assert_xlsx_is_safe(client.get(reverse("projects:agency_payments_export_xlsx")).content, HOSTILE)
    archive = zipfile.ZipFile(io.BytesIO(dossier.dossier_zip(ka210).read()))
    assert_csv_is_safe(archive.read("payments/payments.csv").decode(), HOSTILE)
    assert_csv_is_safe(archive.read("audit/audit-trail.csv").decode(), "@SUM(A1:A9)")
