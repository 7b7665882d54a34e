"""The application journey in real Chromium on the production topology (./run serve, ./run worker), with
the e-mail the worker sends read from the topology's SMTP server and the annexes in its S3 bucket:

a coordinator creates a KA220 application, adds two partners by OID and shares the draft with a person of
one of them; the work package amounts do not add up, the partner fixes a work package in their own browser
and the eligibility summary updates live (htmx autosave); the coordinator completes the form, uploads the
annexes and submits; the confirmation e-mail arrives and the worker stores the submission's PDF. Once the
call's deadline has passed (the call's deadline is moved to the present while the submit page is open), the
server refuses the submission and the form is read-only. axe-core checks the task list and section pages.
"""

import hashlib
import re
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from eplus.applications.models import Annex, Application, Submission
from eplus.organisations.models import Membership, Organisation, Role
from eplus.organisations.registration import issue_oid
from eplus.programme.models import Call

from .conftest import PASSWORD, log_in_page, verified_user
from tests.samples import pdf

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

COORDINATOR = "coordinator.e2e@school.example"
PARTNER = "partner.e2e@college.example"
PDF = pdf()


def _person(email, first, last):
    return verified_user(email, password=PASSWORD, first_name=first, last_name=last)


def _organisation(country, name, member=None, role=Role.LEGAL_REPRESENTATIVE):
    from datetime import date

    organisation = Organisation.objects.create(
        oid=issue_oid(), country_id=country, legal_name=name, legal_form="Association",
        organisation_type="vet-provider", date_established=date(2005, 5, 5), street="Main street 1",
        postcode="1000", city="Fictional City", registration_number=f"R-{name[:6]}", email="office@example.org",
        phone="+371 60 000 000", contact_name="Fictional Contact", contact_email="contact@example.org")
    if member is not None:
        Membership.objects.create(organisation=organisation, user=member, role=role)
    return organisation


@pytest.fixture
def world(live, programme):
    coordinator = _person(COORDINATOR, "Maija", "Koordinatore")
    partner = _person(PARTNER, "Jonas", "Partneris")
    return {
        "coordinator": coordinator, "partner": partner,
        "lv": _organisation("LV", "Fictional Gauja VET School", coordinator),
        "lt": _organisation("LT", "Fictional Neris College", partner, Role.CONTACT_PERSON),
        "ee": _organisation("EE", "Fictional Emajõgi Training Centre"),
        "call": Call.objects.get(year=2027, action__code="KA220", round=1),
    }


def _settle(page):
    """Let the autosave (1.5 s after the last keystroke) finish before the next request."""
    page.wait_for_timeout(1700)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _save(page):
    _settle(page)
    page.locator("main").get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert "The section was saved." in page.locator(".messages").inner_text()


def _open_section(page, app_pk, key):
    page.goto(f"/applications/{app_pk}/sections/{key}/")


def _panel(page):
    return page.locator("#eligibility-panel").inner_text()


def test_ka220_application_with_a_partner_submitted_before_the_deadline(
        live, topology_page, smtp, assert_accessible, world):
    new_page, mailbox = topology_page, smtp.mailbox
    page = new_page()
    log_in_page(page, COORDINATOR)

    # Create the application: it goes to the agency of the applicant's country.
    page.goto("/applications/new/")
    page.get_by_label("Applicant organisation").select_option(world["lv"].oid)
    page.get_by_label("Action and call").select_option(f"{world['call'].pk}:VET")
    page.get_by_role("button", name="Create the application").click()
    page.wait_for_load_state()
    application = Application.objects.get()
    assert application.agency.code == "LV01"
    assert_accessible(page, "task list")
    assert "Not started" in page.locator(".task-list").inner_text()

    # Context.
    _open_section(page, application.pk, "context")
    assert_accessible(page, "context section")
    page.get_by_label("Language used to fill in the form").select_option("en")
    page.get_by_label("Project title").fill("Fictional green skills workshops")
    page.get_by_label("Project start date").fill("2027-09-01")
    page.get_by_label("Project duration in months").fill("24")
    page.get_by_label("Lump sum").select_option("250000.00")
    _save(page)

    # Partners by OID; their data comes from their registration.
    _open_section(page, application.pk, "organisations")
    for org in (world["lt"], world["ee"]):
        page.get_by_label("Organisation ID (OID)").fill(org.oid)
        page.get_by_label("Role").select_option("partner")
        page.get_by_role("button", name="Add the organisation").click()
        page.wait_for_load_state()
    assert "Fictional Neris College" in page.locator("main table").inner_text()

    # Share the draft with the partner's contact person.
    page.goto(f"/applications/{application.pk}/share/")
    page.get_by_label("E-mail address of the person").fill(PARTNER)
    page.get_by_label("Access").select_option("edit")
    page.get_by_role("button", name="Send the invitation", exact=True).click()
    page.wait_for_load_state()
    assert "An invitation was sent to" in page.locator("main").inner_text()

    # Work packages that do not add up to the lump sum.
    _open_section(page, application.pk, "design")
    for index, (title, amount) in enumerate([("Project management", "50000.00"), ("Training design", "100000.00")]):
        page.locator(f"#id_wp-{index}-title").fill(title)
        page.locator(f"#id_wp-{index}-objectives").fill("Objectives of " + title)
        page.locator(f"#id_wp-{index}-results").fill("Results of " + title)
        page.locator(f"#id_wp-{index}-indicators").fill("Indicators of " + title)
        page.locator(f"#id_wp-{index}-amount").fill(amount)
        if index == 0:
            _save(page)
    _save(page)
    assert "work package amounts add up to 150" in _panel(page)

    # The partner edits work package 2 in their own browser; the summary updates live (autosave).
    partner_page = new_page(timezone_id="Europe/Vilnius")
    log_in_page(partner_page, PARTNER)
    # The partner accepts the invitation from its e-mail (every share goes out so, whoever the address is).
    invitation = mailbox.body(mailbox.wait_for(PARTNER))
    partner_page.goto(urlparse(re.search(r"https?://\S+/applications/invitations/\S+/", invitation).group(0)).path)
    partner_page.get_by_role("button", name="Accept the invitation").click()
    partner_page.wait_for_load_state()
    partner_page.goto("/applications/")
    partner_page.get_by_role("link", name="Fictional green skills workshops").click()
    partner_page.wait_for_load_state()
    _open_section(partner_page, application.pk, "design")
    assert_accessible(partner_page, "design section (partner)")
    assert "work package amounts add up to 150" in _panel(partner_page)
    partner_page.locator("#id_wp-1-amount").fill("200000.00")
    partner_page.locator("#id_wp-1-amount").press("Tab")
    partner_page.wait_for_function(
        "() => document.querySelector('#save-status').textContent.includes('Saved at')")
    partner_page.wait_for_function(
        "() => !document.querySelector('#eligibility-panel').textContent.includes('work package amounts add up')")
    assert "Work package" not in _panel(partner_page) or "add up to" not in _panel(partner_page)

    # The coordinator reloads and sees the partner's change; completes the other sections.
    _open_section(page, application.pk, "design")
    assert page.locator("#id_wp-1-amount").input_value() == "200000.00"
    assert "work package amounts add up" not in _panel(page)

    _open_section(page, application.pk, "relevance")
    page.locator("input[name=priorities]").first.check()
    page.locator("input[name=topics]").nth(0).check()
    page.locator("input[name=topics]").nth(1).check()
    page.get_by_label("Needs the project addresses").fill("Workshops lack green skills.")
    page.get_by_label("Objectives of the project").fill("Train trainers in green skills.")
    _save(page)
    for key, values in [
        ("partnership", {"How the partnership was formed and what each partner brings": "Long cooperation.",
                         "How tasks are shared and how the partners communicate": "Monthly calls."}),
        ("impact", {"Expected impact on participants and organisations": "Better courses.",
                    "How the results will be shared": "Open licence.",
                    "How the results will be used after the project": "Built into curricula."}),
        ("summary", {"Objectives (in English)": "Green skills.", "Implementation (in English)": "Workshops.",
                     "Results (in English)": "A course."}),
    ]:
        _open_section(page, application.pk, key)
        for label, value in values.items():
            page.get_by_label(label).fill(value)
        _save(page)
    _open_section(page, application.pk, "checklist")
    page.get_by_label("I confirm that the information in this application is correct.").check()
    page.get_by_label("I confirm that the legal representative has signed the declaration on honour.").check()
    _save(page)

    # Annexes: the declaration on honour and a mandate per partner.
    _open_section(page, application.pk, "annexes")
    uploads = [("declaration-on-honour", "", "declaration.pdf"), ("mandate", world["lt"].oid, "mandate-lt.pdf"),
               ("mandate", world["ee"].oid, "mandate-ee.pdf")]
    for kind, oid, name in uploads:
        page.get_by_label("Kind of annex").select_option(kind)
        page.get_by_label("Partner (for a mandate)").select_option(oid)
        page.get_by_label("File").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})
        page.get_by_role("button", name="Upload").click()
        page.wait_for_load_state()
    assert "mandate-ee.pdf" in page.locator("main").inner_text()
    # Each annex is in the S3 bucket, as uploaded (its SHA-256).
    annexes = Annex.objects.filter(application=application)
    assert sorted(a.original_name for a in annexes) == ["declaration.pdf", "mandate-ee.pdf", "mandate-lt.pdf"]
    keys = live.s3.keys()
    for annex in annexes:
        assert annex.sha256 == hashlib.sha256(PDF).hexdigest() and annex.size == len(PDF)
        assert annex.file.name in keys
        assert hashlib.sha256(live.s3.body(annex.file.name)).hexdigest() == annex.sha256

    # Everything complete: submit.
    page.goto(f"/applications/{application.pk}/")
    assert "Has errors" not in page.locator(".task-list").inner_text()
    assert "No eligibility problems found so far." in _panel(page)
    page.goto(f"/applications/{application.pk}/submit/")
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_load_state()
    submission = Submission.objects.get()
    text = page.locator("main").inner_text()
    assert "Application submitted" in text and submission.number in text
    assert re.match(r"^2027-1-LV01-KA220-VET-\d{9}$", submission.number)

    message = mailbox.wait_for(COORDINATOR)
    body = mailbox.body(message)
    assert submission.submission_id in body and "Europe/Riga" in body and "(Brussels time)" in body
    # The worker renders the submission's PDF into the bucket.
    pdf = live.wait_for(lambda: Submission.objects.get(pk=submission.pk).pdf.name, what="the submission's PDF")
    assert live.s3.body(pdf).startswith(b"%PDF")

    # Past the deadline (the deadline instant itself is already late): the call's deadline becomes now
    # while the submit page is open; the server refuses the submission and the form is read-only.
    page.goto(f"/applications/{application.pk}/submit/")
    Call.objects.filter(pk=world["call"].pk).update(deadline=timezone.now())
    page.get_by_role("button", name="Submit again").click()
    page.wait_for_load_state()
    assert "can no longer be changed or submitted" in page.locator(".error-summary").inner_text()
    assert Submission.objects.count() == 1
    _open_section(page, application.pk, "impact")
    assert "The deadline has passed." in page.locator("main").inner_text()
    assert page.locator("#section-form fieldset[disabled]").count() == 1
    assert live.wait_for_tasks() == []
