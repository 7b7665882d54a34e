"""The figures of the issue through the services and models: payment rows, interim report and further
pre-financing, final assessment, balance or recovery, report deadlines; idempotent creation."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.core.audit import history
from eplus.projects import amendments, creation, dossier, payments, queries, reports, workflow
from eplus.projects import calendar as project_calendar
from eplus.projects import people as people_rights
from eplus.projects.base import ProjectError
from eplus.projects.models import (
    AccessLevel, Payment, PaymentKind, ProjectAccess, PaymentStatus, ProjectStatus, ReportKind, ReportStatus, ReportVersion,
)
from tests.factories import PDF
from tests.samples import png_bytes

D = Decimal


def can_view(user, project):
    return user.has_perm("projects.view_project", project)


def can_edit(user, project):
    return user.has_perm("projects.change_project", project)


def can_manage_people(user, project):
    return user.has_perm("projects.manage_people", project)


def level_of(user, project):
    return ProjectAccess.objects.filter(project=project, user=user).values_list("level", flat=True).first()


def _rows(project):
    return [(p.kind, p.amount, p.at_most, p.status) for p in project.payments.order_by("sequence")]


def fill(report, user, *, used="0", prefinancing_used=None, declaration=True, language="en"):
    report.refresh_from_db()
    sections = reports.report_sections(report)
    for key in reports.TEXT_SECTIONS:
        sections[key] = sections.get(key) or f"{key} text"
    for item in sections["budget"]:
        item["used"] = used
    reports.save_report(report, user, language=language, sections=sections, prefinancing_used=prefinancing_used)
    if declaration:
        reports.attach_declaration(report, SimpleUploadedFile("declaration.pdf", PDF), user)
    report.refresh_from_db()
    return report


def sign_again(report, user):
    """A new declaration on honour for a report sent back (the earlier one covers only what was submitted)."""
    report.refresh_from_db()
    reports.attach_declaration(report, SimpleUploadedFile("declaration-again.pdf", PDF + f"% {report.pk}\n".encode()),
                               user)


def mark_results_submitted(project):
    card = queries.project_card(project)
    card.results_status = "under-review"
    card.submitted_at = datetime(2028, 9, 1, tzinfo=timezone.utc)
    card.save()


def test_ka220_250000_payment_rows_and_deadlines(ka220, people):
    assert _rows(ka220) == [
        ("prefinancing", D("100000.00"), False, "due"),
        ("further-prefinancing", D("100000.00"), False, "planned"),
        ("balance", D("50000.00"), True, "planned")]
    first = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    assert first.due == date(2026, 9, 19)  # 30 days after signature on 20 August
    reports = list(ka220.reports.order_by("due"))
    assert [(r.kind, r.period_end, r.due) for r in reports] == [
        ("interim", date(2027, 8, 31), date(2027, 9, 30)),
        ("final", date(2028, 8, 31), date(2028, 10, 30))]
    assert ka220.status == ProjectStatus.ONGOING
    assert ka220.number.startswith("2026-1-LV01-KA220-VET-")
    assert ka220.coordinator == people["applicant"]
    assert ka220.agreement_pdf.read().startswith(b"%PDF")
    assert [i["amount"] for i in ka220.budget_items] == ["50000.00", "100000.00", "100000.00"]


def test_people_get_edit_or_view_rights(ka220, people):
    levels = {a.user.email: a.level for a in ka220.accesses.select_related("user")}
    assert levels == {"coordinator@example.org": "edit", "member@example.org": "view", "partner@example.org": "view"}


def test_create_project_is_idempotent_and_publishes_the_card(ka220, people):
    again = creation.create_project(ka220.application, signed_on=date(2026, 8, 21), start_date=date(2026, 9, 1),
                                    end_date=date(2028, 8, 31), lump_sum=D("250000"))
    assert again.pk == ka220.pk
    assert Payment.objects.filter(project=ka220).count() == 3
    card = queries.project_card(ka220)
    assert card is not None and card.title == ka220.title and card.eu_grant == D("250000.00")
    assert card.coordinator == people["applicant"]
    assert history(ka220).filter(verb="create-from-grant").exists()


def test_ka210_60000_at_80_20_gives_48000_prefinancing(ka210):
    assert _rows(ka210) == [("prefinancing", D("48000.00"), False, "due"),
                            ("balance", D("12000.00"), True, "planned")]
    final = ka210.reports.get(kind=ReportKind.FINAL)
    assert final.due == date(2026, 10, 30)  # end date 2026-08-31 + 60 days


def _interim_submitted(ka220, people, used):
    interim = ka220.reports.get(kind=ReportKind.INTERIM)
    fill(interim, people["coordinator"], used="10", prefinancing_used=used)
    return workflow.submit_report(interim, people["coordinator"])


def test_interim_report_75000_of_100000_allows_the_further_prefinancing(ka220, people):
    interim = _interim_submitted(ka220, people, "75000")
    workflow.accept_report(interim, people["officer"])
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert further.status == PaymentStatus.DUE and further.amount == D("100000.00")
    assert further.due is not None


def test_interim_report_60000_of_100000_refuses_it_with_the_reason(ka220, people):
    interim = _interim_submitted(ka220, people, "60000")
    workflow.accept_report(interim, people["officer"])
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert further.status == PaymentStatus.BLOCKED
    assert "70" in further.status_reason and "60" in further.status_reason
    assert history(further).filter(verb="further-prefinancing-refused").exists()


def _final_submitted(project, people):
    final = project.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    return workflow.submit_report(final, people["coordinator"])


def test_ka220_final_score_45_on_250000_gives_187500(ka220, people):
    first = ka220.payments.get(kind=PaymentKind.PREFINANCING)
    payments.mark_paid(first, people["officer"], paid_on=date(2026, 9, 10))
    interim = _interim_submitted(ka220, people, "80000")
    workflow.accept_report(interim, people["officer"])
    payments.mark_paid(ka220.payments.get(kind=PaymentKind.FURTHER), people["officer"])
    final = _final_submitted(ka220, people)
    assessment = workflow.save_assessment(final, people["officer"], wp_scores={2: "45", 3: "45"})
    assert assessment.reduction_percent == D("25.00")
    assert assessment.final_grant == D("187500.00")
    assert assessment.paid == D("200000.00")
    assert assessment.balance == D("-12500.00")
    # Approval waits for the results on the results platform.
    with pytest.raises(ProjectError, match="results platform"):
        workflow.approve_assessment(final, people["officer"])
    mark_results_submitted(ka220)
    workflow.approve_assessment(final, people["officer"])
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.FINALISED
    recovery = ka220.payments.get(kind=PaymentKind.RECOVERY)
    assert recovery.amount == D("12500.00") and recovery.status == PaymentStatus.DUE
    assert queries.project_card(ka220).status == "finalised"


def test_ka220_final_score_45_with_only_prefinancing_paid_leaves_87500_balance(ka220, people):
    payments.mark_paid(ka220.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    final = _final_submitted(ka220, people)
    workflow.save_assessment(final, people["officer"], wp_scores={2: "45", 3: "45"})
    mark_results_submitted(ka220)
    assessment = workflow.approve_assessment(final, people["officer"])
    assert assessment.final_grant == D("187500.00") and assessment.balance == D("87500.00")
    balance = ka220.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status, balance.at_most) == (D("87500.00"), PaymentStatus.DUE, False)
    assert ka220.payments.get(kind=PaymentKind.FURTHER).status == PaymentStatus.CANCELLED


def test_ka210_scored_42_gives_45000_and_a_recovery_of_3000(ka210, people):
    payments.mark_paid(ka210.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    final = _final_submitted(ka210, people)
    assessment = workflow.save_assessment(final, people["officer"], overall_score=D("42"))
    assert (assessment.final_grant, assessment.paid, assessment.balance) == (
        D("45000.00"), D("48000.00"), D("-3000.00"))
    mark_results_submitted(ka210)
    workflow.approve_assessment(final, people["officer"])
    assert ka210.payments.get(kind=PaymentKind.RECOVERY).amount == D("3000.00")
    assert ka210.payments.get(kind=PaymentKind.BALANCE).status == PaymentStatus.CANCELLED
    assessment.refresh_from_db()
    assert assessment.decision_due == date.fromordinal(final.received_on.toordinal() + 60)


def test_submission_needs_the_declaration_and_locks_and_keeps_every_version(ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="5", declaration=False)
    with pytest.raises(workflow.NotReady) as refused:
        workflow.submit_report(final, people["coordinator"])
    assert any("declaration on honour" in p for p in refused.value.problems)
    with pytest.raises(Exception, match="not a PDF, PNG or JPEG"):
        reports.attach_declaration(final, SimpleUploadedFile("declaration.pdf", b"MZ not a pdf"),
                                    people["coordinator"])
    reports.attach_declaration(final, SimpleUploadedFile("declaration.png", png_bytes()),
                                people["coordinator"])
    final = workflow.submit_report(final, people["coordinator"])
    assert queries.project_locked(ka210)
    with pytest.raises(ProjectError, match="locked"):
        reports.save_report(final, people["coordinator"], language="en", sections={})
    with pytest.raises(ProjectError, match="locks the project data"):
        amendments.request_amendment(ka210, people["coordinator"], kind="budget", description="Move 1000 EUR.")
    workflow.request_update(final, people["officer"], "Add the dates of the courses.")
    final.refresh_from_db()
    assert final.status == ReportStatus.UPDATE_REQUESTED
    sections = dict(final.sections, activities="Courses on 1-5 October 2025 in Riga.")
    reports.save_report(final, people["coordinator"], language="lv", sections=sections)
    # The declaration signed for the first version does not cover the second: a new one is needed.
    with pytest.raises(workflow.NotReady) as refused:
        workflow.submit_report(final, people["coordinator"])
    assert any("new declaration on honour" in p for p in refused.value.problems)
    reports.attach_declaration(final, SimpleUploadedFile("declaration-2.pdf", PDF + b"% signed again\n"),
                               people["coordinator"])
    workflow.submit_report(final, people["coordinator"])
    versions = list(ReportVersion.objects.filter(report=final).order_by("number"))
    assert [(v.number, v.language) for v in versions] == [(1, "en"), (2, "lv")]
    # Each version keeps the file it was submitted with; the first one stays readable.
    assert versions[0].declaration_sha256 != versions[1].declaration_sha256
    assert versions[0].declaration_file.name != versions[1].declaration_file.name
    assert versions[0].declaration_file.read().startswith(b"\x89PNG")
    assert versions[1].declaration_file.read().endswith(b"% signed again\n")
    assert "Courses on 1-5 October" in versions[1].sections["activities"]
    assert "Courses on 1-5 October" not in versions[0].sections["activities"]
    with pytest.raises(ValueError):
        versions[0].save()


def test_report_is_prefilled_from_the_application_then_from_earlier_reports(ka220, people):
    interim = ka220.reports.get(kind=ReportKind.INTERIM)
    sections = reports.report_sections(interim)
    assert "Activities of Training programme" in sections["activities"]
    assert sections["impact"] == "Welders learn green skills."
    assert [b["planned"] for b in sections["budget"]] == ["50000.00", "100000.00", "100000.00"]
    interim = fill(interim, people["coordinator"], used="7", prefinancing_used="75000")
    reports.save_report(interim, people["coordinator"], language="en",
                         sections=dict(interim.sections, results="First course piloted."), prefinancing_used="75000")
    workflow.submit_report(interim, people["coordinator"])
    final = ka220.reports.get(kind=ReportKind.FINAL)
    assert reports.report_sections(final)["results"] == "First course piloted."


def test_view_only_partner_cannot_edit_or_submit(ka220, people):
    final = ka220.reports.get(kind=ReportKind.FINAL)
    with pytest.raises(Exception) as refused:
        reports.save_report(final, people["partner"], language="en", sections={})
    assert refused.type.__name__ == "PermissionDenied"
    with pytest.raises(Exception) as refused:
        workflow.submit_report(final, people["partner"])
    assert refused.type.__name__ == "PermissionDenied"
    people_rights.grant_access(ka220, people["partner"], AccessLevel.EDIT, people["coordinator"])
    assert can_edit(people["partner"], ka220)


def test_amendment_of_dates_approved_moves_the_final_deadline_and_rejection_needs_a_reason(ka210, people):
    amendment = amendments.request_amendment(ka210, people["coordinator"], kind="dates", description="Later end.",
                                           proposed={"start_date": "2025-09-01", "end_date": "2026-10-31"})
    with pytest.raises(ProjectError, match="reason"):
        amendments.decide_amendment(amendment, people["officer"], approve=False)
    amendments.decide_amendment(amendment, people["officer"], approve=True)
    ka210.refresh_from_db()
    assert ka210.end_date == date(2026, 10, 31)
    assert ka210.reports.get(kind=ReportKind.FINAL).due == date(2026, 12, 30)


def test_payment_letter_pdf_and_dossier_zip(ka210, people):
    import io
    import json
    import zipfile

    payment = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    assert not payment.letter  # rendered after the commit that made it due, off the request path
    stored = payments.store_letter(payment)
    assert stored.letter.read().startswith(b"%PDF")
    payment.refresh_from_db()
    assert payment.letter.name.endswith(".pdf")
    assert payments.store_letter(payment).letter.name == payment.letter.name  # stored once
    final = _final_submitted(ka210, people)
    from eplus.results.models import Result

    Result.objects.create(card=queries.project_card(ka210), title="Welding curriculum", result_type="handbook",
                          description_en="A curriculum for green welding.")
    archive = zipfile.ZipFile(io.BytesIO(dossier.dossier_zip(ka210).read()))
    names = archive.namelist()
    assert "application/snapshot.json" in names and "audit/audit-trail.csv" in names
    assert "payments/payments.csv" in names and any(n.startswith("payments/letter-") for n in names)
    assert any(n.startswith(f"reports/{final.sequence:02d}-final/declaration-") for n in names)
    # Each submitted version's own declaration is in the dossier too.
    assert any(n.startswith(f"reports/{final.sequence:02d}-final/version-1-declaration-") for n in names)
    trail = json.loads(archive.read("audit/audit-trail.json"))
    assert any(row["verb"] == "submit-report" for row in trail)
    assert "48000.00" in archive.read("payments/payments.csv").decode()
    results = json.loads(archive.read("results/results.json"))
    assert [r["title"] for r in results["results"]] == ["Welding curriculum"]
    assert json.loads(archive.read("application/snapshot.json"))["number"] == ka210.number


def test_ical_feed_lists_the_users_deadlines(ka210, people):
    feed = project_calendar.ical_feed(people["coordinator"], [ka210])
    assert feed.startswith("BEGIN:VCALENDAR\r\n") and feed.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261030" in feed
    assert "DTSTART;VALUE=DATE:20260831" in feed
