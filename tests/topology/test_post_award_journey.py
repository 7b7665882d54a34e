"""After the grant, in real Chromium on the production topology (./run serve, ./run worker, the SMTP and S3
servers; issue 14): the final report of a KA220 (250 000: WP1 50 000, WP2 and WP3 100 000 each; 200 000 paid)
is submitted → the officer (second factor) assigns two experts, who declare no conflict and score per work
package (WP1 not scored): averages 45 and 42 → 25 % off every work package → 187 500 final grant, a recovery
of 12 500 → the officer consolidates and approves, the debit note of 12 500 is issued (PDF in the bucket) → the
coordinator files a claim → the officer accepts it → the coordinator corrects the new version and signs a new
declaration → the officer scores it 55 / 52 → 250 000 final grant, 50 000 balance due, the debit note cancelled
→ the dossier ZIP holds every version and every decision. Every new page passes axe."""

import io
import json
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from eplus.organisations.models import Membership, Organisation, Role
from eplus.programme.models import Agency, AgencyMembership, Country
from eplus.projects.models import (
    DebitNote, DebitNoteStatus, FinalReportClaim, PaymentKind, PaymentStatus, ProjectStatus, ReportKind,
)

from .conftest import PASSWORD, log_in_page
from .test_assessment_journey import SECRET, _click, _person
from tests.samples import pdf

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

COORDINATOR = "ilze.post@welding-school.example"
D = Decimal


@pytest.fixture
def world(live, programme):
    from eplus.evaluation.experts import register_expert
    from eplus.projects import workflow
    from eplus.projects.creation import create_project
    from eplus.projects.payments import mark_paid
    from eplus.projects.queries import project_card
    from tests.projects.conftest import make_application
    from tests.projects.test_services import fill

    agency = Agency.objects.get(code="LV01")
    coordinator = _person(COORDINATOR, "Ilze", "Koordinatore")
    officer = _person("olga.post@agency.example", "Olga", "Officer", mfa=True)
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    experts = []
    for email, first in (("anna.post@experts.example", "Anna"), ("boris.post@experts.example", "Boris")):
        experts.append(_person(email, first, "Expert", mfa=True))
        register_expert(agency, email=email, first_name=first, last_name="Expert", languages=["en"], sectors=["VET"])
    applicant = Organisation.objects.create(
        oid="E10000011", country=Country.objects.get(code="LV"), legal_name="Daugava Welding School",
        legal_form="Public institution", organisation_type="vet-provider", date_established=date(2001, 9, 1),
        street="Krasta iela 1", postcode="LV-1019", city="Riga", registration_number="90000000011",
        email="office@welding-school.example", phone="+371 60 000 011", contact_name="Ilze Koordinatore",
        contact_email=COORDINATOR, status=Organisation.Status.CERTIFIED)
    Membership.objects.create(organisation=applicant, user=coordinator, role=Role.LEGAL_REPRESENTATIVE)
    application = make_application("KA220", lump_sum="250000", applicant=applicant, title="Green welding")
    project = create_project(application, signed_on=date(2024, 8, 20), start_date=date(2024, 9, 1),
                             end_date=date(2026, 8, 31), lump_sum=D("250000"), created_by=officer)
    mark_paid(project.payments.get(kind=PaymentKind.PREFINANCING), officer)
    further = project.payments.get(kind=PaymentKind.FURTHER)
    further.status = PaymentStatus.DUE  # decided on the interim report (its own journey)
    further.save()
    mark_paid(further, officer)
    final = project.reports.get(kind=ReportKind.FINAL)
    fill(final, coordinator, used="80000.00")
    workflow.submit_report(final, coordinator)
    card = project_card(project)  # the results are on the results platform (the results' own journey)
    card.results_status = "under-review"
    card.save()
    return {"project": project, "final": final, "officer": officer, "experts": experts}


def _expert_scores(page, number, scores):
    page.goto("/agency/expert/")
    page.locator("#final-report-reviews").get_by_role("link", name=re.compile(number)).first.click()
    page.wait_for_load_state()
    page.get_by_label("I have no conflict of interest with this application or its organisations.").check()
    _click(page, "Make the declaration")
    for wp, value in scores.items():
        page.get_by_label(re.compile(rf"^{wp}\b.*: score")).fill(value)
        page.get_by_label(re.compile(rf"^{wp}\b.*: comment")).fill(f"{wp} is documented.")
    _click(page, "Submit the assessment")
    assert "submitted" in page.locator("main").inner_text().lower()


def test_experts_assess_a_recovery_is_issued_a_claim_reassesses_and_the_balance_follows(
        live, topology_page, smtp, assert_accessible, world, tmp_path):
    new_page, mailbox = topology_page, smtp.mailbox
    project, final, (anna, boris) = world["project"], world["final"], world["experts"]

    # 1. The officer assigns two experts to the submitted final report.
    office = new_page()
    log_in_page(office, world["officer"].email, SECRET)
    office.goto(f"/projects/agency/reports/{final.pk}/")
    office.get_by_role("link", name=re.compile("Experts' assessment")).click()
    office.wait_for_load_state()
    assert_accessible(office, "experts of a final report")
    for expert in (anna, boris):
        office.locator("#id_expert").select_option(label=f"{expert.get_full_name()} (en; VET)")
        _click(office, "Assign the expert")
    assert mailbox.wait_for(anna.email) and mailbox.wait_for(boris.email)

    # 2. Each declares no conflict and scores WP2 and WP3 (WP1 is not scored).
    for expert, scores in ((anna, {"WP2": "44", "WP3": "40"}), (boris, {"WP2": "46", "WP3": "44"})):
        page = new_page()
        log_in_page(page, expert.email, SECRET)
        _expert_scores(page, project.number, scores)
        assert not page.get_by_label(re.compile(r"^WP1\b.*: score")).count()

    # 3. The officer consolidates the averages (45.00 / 42.00): 25 % off → 187 500, a 12 500 recovery.
    office.reload()
    scores = office.locator("#final-report-scores").inner_text()
    assert "45.00" in scores and "42.00" in scores
    _click(office, "Save the consolidated scores")
    figures = office.locator("#assessment-figures").inner_text()
    assert "187500.00" in figures and "12500.00" in figures
    assert_accessible(office, "consolidated final-report assessment")
    _click(office, "Approve the final report")
    project.refresh_from_db()
    assert project.status == ProjectStatus.FINALISED
    note = DebitNote.objects.get(project=project)
    assert (note.amount, note.status) == (D("12500.00"), DebitNoteStatus.ISSUED)
    decision = mailbox.wait_for(COORDINATOR)
    assert note.payment_reference in mailbox.body(decision)
    assert live.wait_for_tasks() == []
    note.refresh_from_db()
    assert note.pdf.name in live.s3.keys() and live.s3.body(note.pdf.name).startswith(b"%PDF")

    # 4. The coordinator sees the debit note and files a claim on the decision.
    coordinator = new_page()
    coordinator.on("dialog", lambda dialog: dialog.accept())
    log_in_page(coordinator, COORDINATOR)
    coordinator.goto(f"/projects/{project.pk}/")
    assert note.payment_reference in coordinator.locator("main").inner_text()
    coordinator.get_by_role("link", name=note.payment_reference).click()
    coordinator.wait_for_load_state()
    assert_accessible(coordinator, "debit note")
    coordinator.goto(f"/projects/{project.pk}/")
    coordinator.get_by_role("link", name="Final decision and claims").click()
    coordinator.wait_for_load_state()
    assert_accessible(coordinator, "final decision and claims")
    coordinator.get_by_label("Grounds of the claim").fill("WP3 ignores the handbook delivered in annex 4.")
    _click(coordinator, "Send the claim")
    assert "Your claim has been sent" in coordinator.locator("body").inner_text()

    # 5. The officer accepts it: a new version of the final report opens.
    notice = mailbox.wait_for(world["officer"].email, count=1)
    assert "claim" in str(notice["Subject"]).lower()
    office.goto(live.site_path(next(u for u in mailbox.links(notice) if "/claims/" in u)))
    assert_accessible(office, "claims, agency")
    office.get_by_label(re.compile("Reason")).first.fill("The handbook is in annex 4.")
    _click(office, "Accept the claim and reopen the report")
    claim = FinalReportClaim.objects.get(project=project)
    version = claim.claim_report
    assert version is not None and version.sequence > final.sequence

    # 6. The coordinator corrects the new version; it needs a new declaration on honour.
    accepted = mailbox.wait_for(COORDINATOR, count=2)
    coordinator.goto(live.site_path(next(u for u in mailbox.links(accepted) if f"/reports/{version.pk}/" in u)))
    results = coordinator.get_by_label("Results", exact=True)
    results.fill(results.input_value() + "\n\nThe welding handbook (annex 4) was delivered in June 2026.")
    _click(coordinator, "Submit the report")
    assert "Attach the declaration on honour" in coordinator.locator("main").inner_text()  # a new one: the version has none
    declaration = tmp_path / "declaration-claim.pdf"
    declaration.write_bytes(pdf(b"signed for the claim version"))
    coordinator.get_by_label("Declaration on honour").set_input_files(str(declaration))
    _click(coordinator, "Submit the report")
    assert "has been submitted" in coordinator.locator("main").inner_text()

    # 7. The officer reassesses the new version higher: 250 000 final, 50 000 due, the recovery cancelled.
    office.goto(f"/projects/agency/reports/{version.pk}/")
    assert "annex 4" in office.locator("main").inner_text()
    office.get_by_label(re.compile(r"Score of WP2")).fill("55")
    office.get_by_label(re.compile(r"Score of WP3")).fill("52")
    _click(office, "Save the scores and compute the final grant")
    assert "250000.00" in office.locator("#assessment-figures").inner_text()
    _click(office, "Approve the final report")
    note.refresh_from_db()
    assert note.status == DebitNoteStatus.CANCELLED
    balance = project.payments.get(kind=PaymentKind.BALANCE, status=PaymentStatus.DUE)
    assert balance.amount == D("50000.00")
    office.goto(f"/projects/agency/{project.pk}/claims/")
    decisions = office.locator("#decisions-title").locator("xpath=..").inner_text()
    assert "187500.00" in decisions and "250000.00" in decisions and "replaced by a newer decision" in decisions

    # 8. The dossier holds every version and decision.
    office.goto(f"/projects/agency/{project.pk}/")
    _click(office, "Prepare the project dossier (ZIP)")
    if "/reauthenticate/" in office.url:  # a sensitive action: the password is asked again
        office.get_by_label("Password").fill(PASSWORD)
        _click(office, "Confirm")
    assert "being prepared" in office.locator("body").inner_text()
    assert live.wait_for_tasks() == []
    from eplus.projects.models import ProjectDossier

    from .conftest import wait_for

    wait_for(lambda: ProjectDossier.objects.filter(project=project, audience="agency").exists(),
             what="the agency's dossier")
    stored = ProjectDossier.objects.get(project=project, audience="agency")
    with zipfile.ZipFile(io.BytesIO(live.s3.body(stored.file.name))) as archive:
        names = set(archive.namelist())
        first = json.loads(archive.read(f"assessment/final-assessment-report-{final.sequence:02d}.json"))
        second = json.loads(archive.read(f"assessment/final-assessment-report-{version.sequence:02d}.json"))
        claims = json.loads(archive.read("assessment/claims.json"))
    assert (first["final_grant"], first["balance"], first["superseded_by_report"]) == (
        "187500.00", "-12500.00", version.sequence)
    assert (second["final_grant"], second["balance"]) == ("250000.00", "50000.00")
    assert [c["status"] for c in claims] == ["decided"]
    assert f"reports/{final.sequence:02d}-final/version-1.json" in names
    assert f"reports/{version.sequence:02d}-final/version-1.json" in names
    assert "payments/debit-note-1.pdf" in names
    assert live.wait_for_tasks() == []
