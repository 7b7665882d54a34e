"""The final report in real Chromium on the production topology (./run serve, ./run worker; the e-mails the
worker sends read from the topology's SMTP server, the declaration found in its S3 bucket): the coordinator
fills it (pre-filled from the application), is told what is missing, attaches the declaration on honour and
submits; the agency officer (second factor) asks for an update, which reaches the coordinator by e-mail; the
coordinator resubmits; the officer scores the work packages (a 25 % reduction), approves once the results are
on the results platform, and the balance is computed: 250 000 scored 45 -> 187 500 final grant, 100 000 paid
-> 87 500 balance."""

import hashlib
import re
from datetime import date
from decimal import Decimal

import pytest

from eplus.organisations.models import Membership, Organisation, Role
from eplus.programme.models import Agency, AgencyMembership, Country
from eplus.projects.models import PaymentKind, ProjectStatus, ReportKind, ReportVersion

from .conftest import PASSWORD, log_in_page, verified_user
from tests.samples import pdf

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

OFFICER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
COORDINATOR = "ilze.e2e@welding-school.example"


def _user(email, first, last):
    return verified_user(email, password=PASSWORD, first_name=first, last_name=last)


@pytest.fixture
def setting(live, programme):
    from allauth.mfa.totp.internal.auth import TOTP

    from eplus.projects.creation import create_project
    from eplus.projects.payments import mark_paid
    from tests.projects.conftest import make_application

    coordinator = _user(COORDINATOR, "Ilze", "Koordinatore")
    officer = _user("olga.e2e@agency.example", "Olga", "Officer")
    AgencyMembership.objects.create(user=officer, agency=Agency.objects.get(code="LV01"), role="officer")
    TOTP.activate(officer, OFFICER_SECRET)
    applicant = Organisation.objects.create(
        oid="E10000001", country=Country.objects.get(code="LV"), legal_name="Daugava Welding School",
        legal_form="Public institution", organisation_type="vet-provider", date_established=date(2001, 9, 1),
        street="Krasta iela 1", postcode="LV-1019", city="Riga", registration_number="90000000001",
        email="office@welding-school.example", phone="+371 60 000 001", contact_name="Ilze Koordinatore",
        contact_email=COORDINATOR, status=Organisation.Status.CERTIFIED)
    Membership.objects.create(organisation=applicant, user=coordinator, role=Role.LEGAL_REPRESENTATIVE)
    application = make_application("KA220", lump_sum="250000", applicant=applicant, title="Green welding")
    project = create_project(application, signed_on=date(2024, 8, 20), start_date=date(2024, 9, 1),
                             end_date=date(2026, 8, 31), lump_sum=Decimal("250000"), created_by=officer)
    mark_paid(project.payments.get(kind=PaymentKind.PREFINANCING), officer)
    return {"project": project, "officer": officer}


def _click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_final_report_update_resubmit_assess_and_balance(live, topology_page, smtp, assert_accessible, setting,
                                                        tmp_path):
    new_page, mailbox = topology_page, smtp.mailbox
    project = setting["project"]
    declaration = tmp_path / "declaration.pdf"
    declaration.write_bytes(pdf(b"signed declaration on honour"))

    coordinator = new_page()
    coordinator.on("dialog", lambda dialog: dialog.accept())
    log_in_page(coordinator, COORDINATOR)
    coordinator.goto("/projects/")
    assert_accessible(coordinator, "my projects")
    coordinator.get_by_role("link", name=project.number).click()
    coordinator.wait_for_load_state()
    assert "100000.00" in coordinator.locator("main").inner_text()
    coordinator.get_by_role("link", name="Final report").click()
    coordinator.wait_for_load_state()
    assert_accessible(coordinator, "final report form")
    # Pre-filled from the application.
    assert "Activities of Training programme" in coordinator.get_by_label(
        "Activities carried out (with dates and places)").input_value()
    coordinator.get_by_label("Participants").fill("36 welders from Latvia and Lithuania.")
    for title in ("Project management", "Training programme", "Pilot courses"):
        coordinator.get_by_label(f"Amount used for {title} (EUR)").fill("80000.00")
    _click(coordinator, "Submit the report")
    problems = coordinator.locator("main").inner_text()
    assert "Choose the language of the report" in problems and "Attach the declaration on honour" in problems
    assert coordinator.get_by_label("Participants").input_value() == "36 welders from Latvia and Lithuania."
    coordinator.get_by_label("Language of the report").select_option("en")
    coordinator.get_by_label("Declaration on honour").set_input_files(str(declaration))
    _click(coordinator, "Submit the report")
    assert "has been submitted" in coordinator.locator("main").inner_text()
    assert "Final report submitted" in coordinator.locator("main").inner_text()
    # The declaration is in the S3 bucket, as uploaded.
    report = project.reports.get(kind=ReportKind.FINAL)
    assert report.declaration_sha256 == hashlib.sha256(declaration.read_bytes()).hexdigest()
    assert report.declaration.name in live.s3.keys()
    assert hashlib.sha256(live.s3.body(report.declaration.name)).hexdigest() == report.declaration_sha256

    officer = new_page()
    log_in_page(officer, setting["officer"].email, OFFICER_SECRET)
    officer.goto("/projects/agency/")
    assert_accessible(officer, "agency projects")
    officer.get_by_role("link", name="Final report").click()
    officer.wait_for_load_state()
    assert "36 welders" in officer.locator("main").inner_text()
    officer.get_by_label("Reason (sent to the beneficiary)").fill("Add the dates and places of the pilot courses.")
    _click(officer, "Ask for an update")

    notice = mailbox.wait_for(COORDINATOR)
    assert "update" in str(notice["Subject"]).lower()
    assert "Add the dates and places of the pilot courses." in mailbox.body(notice)
    link = next(url for url in mailbox.links(notice) if "/reports/" in url)
    coordinator.goto(live.site_path(link))
    assert "Add the dates and places" in coordinator.locator("main").inner_text()
    activities = coordinator.get_by_label("Activities carried out (with dates and places)")
    activities.fill(activities.input_value() + "\n\nPilot courses: Riga, 3-7 March 2026; Kaunas, 4-8 May 2026.")
    _click(coordinator, "Submit the report")
    # The first declaration covers only the first version: a new one, signed after the request, is needed.
    assert "Attach a new declaration on honour" in coordinator.locator("main").inner_text()
    assert "Kaunas, 4-8 May 2026" in coordinator.get_by_label("Activities carried out (with dates and places)") \
        .input_value()
    again = tmp_path / "declaration-again.pdf"
    again.write_bytes(pdf(b"signed again after the update request"))
    coordinator.get_by_label("Declaration on honour").set_input_files(str(again))
    _click(coordinator, "Submit the report")
    assert "has been submitted" in coordinator.locator("main").inner_text()
    final = project.reports.get(kind=ReportKind.FINAL)
    versions = list(ReportVersion.objects.filter(report=final).order_by("number"))
    assert len(versions) == 2 and versions[0].declaration_file.name != versions[1].declaration_file.name
    assert versions[0].declaration_file.name in live.s3.keys()  # the first one stays readable

    # The results are on the results platform (the results app's own journey submits them).
    from eplus.projects.queries import project_card

    card = project_card(project)
    card.results_status = "under-review"
    card.save()

    officer.goto(f"/projects/agency/reports/{final.pk}/")
    assert "Kaunas, 4-8 May 2026" in officer.locator("main").inner_text()
    assert_accessible(officer, "final report assessment")
    officer.get_by_label(re.compile(r"Score of WP2")).fill("45")
    officer.get_by_label(re.compile(r"Score of WP3")).fill("45")
    _click(officer, "Save the scores and compute the final grant")
    figures = officer.locator("#assessment-figures").inner_text()
    assert "25.00 %" in figures and "187500.00" in figures and "87500.00" in figures
    _click(officer, "Approve the final report")
    text = officer.locator("main").inner_text()
    assert "Finalised" in text and "87500.00" in text

    project.refresh_from_db()
    assert project.status == ProjectStatus.FINALISED
    balance = project.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status) == (Decimal("87500.00"), "due")
    decision = mailbox.wait_for(COORDINATOR, count=2)
    assert "187500.00" in mailbox.body(decision)
    assert live.wait_for_tasks() == []


def test_people_and_rights_and_a_budget_amendment(live, topology_page, assert_accessible, setting):
    """The coordinator grants a partner's contact person edit rights on the People and rights page, then
    requests a new split of the budget (refused until it adds up to the lump sum); the officer approves it."""
    from eplus.projects.models import ProjectAccess, ProjectPartner

    new_page = topology_page
    project = setting["project"]
    partner_user = _user("tomas.e2e@nemunas.example", "Tomas", "Partneris")
    partner_org = Organisation.objects.create(
        oid="E10000002", country=Country.objects.get(code="LT"), legal_name="Nemunas Training Centre",
        legal_form="Association", organisation_type="vet-provider", date_established=date(2005, 1, 1),
        street="Laisves al. 1", postcode="LT-44001", city="Kaunas", registration_number="LT000002",
        email="info@nemunas.example", phone="+370 60 000 002", contact_name="Tomas Partneris",
        contact_email="tomas.e2e@nemunas.example", status=Organisation.Status.CERTIFIED)
    Membership.objects.create(organisation=partner_org, user=partner_user, role=Role.CONTACT_PERSON)
    ProjectPartner.objects.create(project=project, organisation=partner_org, order=1)

    coordinator = new_page()
    log_in_page(coordinator, COORDINATOR)
    coordinator.goto(f"/projects/{project.pk}/")
    coordinator.get_by_role("link", name=re.compile("People and rights")).click()
    coordinator.wait_for_load_state()
    assert_accessible(coordinator, "people and rights")
    assert "Nemunas Training Centre" in coordinator.locator("main").inner_text()
    coordinator.get_by_label("Rights of Tomas Partneris").select_option("edit")
    _click(coordinator, "Save the rights")
    # A sensitive action: the password is asked again, then the suspended change is carried out.
    assert "/reauthenticate/" in coordinator.url
    assert not ProjectAccess.objects.filter(project=project, user=partner_user).exists()
    coordinator.get_by_label("Password").fill(PASSWORD)
    _click(coordinator, "Confirm")
    assert "The rights have been changed." in coordinator.locator("body").inner_text()
    assert ProjectAccess.objects.get(project=project, user=partner_user).level == "edit"

    coordinator.goto(f"/projects/{project.pk}/amendments/new/")
    coordinator.get_by_label("What do you want to change?").select_option("budget")
    coordinator.get_by_label("The change and why it is needed").fill("More for the training programme.")
    coordinator.get_by_label("New amount of Project management (EUR)").fill("40000.00")
    coordinator.get_by_label("New amount of Training programme (EUR)").fill("110000.00")
    coordinator.get_by_label("New amount of Pilot courses (EUR)").fill("99999.00")
    _click(coordinator, "Send the request")
    assert "add up exactly to the lump sum" in coordinator.locator("main").inner_text()
    assert coordinator.get_by_label("New amount of Pilot courses (EUR)").input_value() == "99999.00"
    assert_accessible(coordinator, "amendment form with an error")
    coordinator.get_by_label("New amount of Pilot courses (EUR)").fill("100000.00")
    _click(coordinator, "Send the request")
    assert "has been requested" in coordinator.locator("body").inner_text()

    officer = new_page()
    log_in_page(officer, setting["officer"].email, OFFICER_SECRET)
    officer.goto(f"/projects/agency/{project.pk}/")
    _click(officer, "Approve the amendment")
    project.refresh_from_db()
    assert [i["amount"] for i in project.budget_items] == ["40000.00", "110000.00", "100000.00"]
    assert live.wait_for_tasks() == []
