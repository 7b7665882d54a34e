"""The results journey in real Chromium on the production topology (./run serve, ./run worker, the sweep
as ./run manage sweep), with the e-mails the worker sends read from the topology's SMTP server and the
uploaded files found in its S3 bucket:

a card is made when the agreement is signed → the beneficiary adds a logo, a website and two results
with files, hiding one → the end date passes (the sweep invites the coordinator by e-mail) → the
beneficiary submits → the agency returns the results with a comment → the beneficiary fixes them
and submits again → the agency approves → the project is finalised → the public search finds the
project, and the hidden result is nowhere to be seen. axe-core checks the search and project pages.
"""

import hashlib
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from eplus.organisations.models import Membership, Organisation
from eplus.programme.models import Agency, AgencyMembership, Country
from eplus.results.publishing import mark_project_finalised, publish_project_card
from eplus.results.models import ProjectCard, ResultFile, ResultsStatus

from .conftest import PASSWORD, log_in_page, verified_user
from tests.samples import pdf, Stream

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

OFFICER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
BENEFICIARY = "liga.results@school.example"
OFFICER = "olga.results@agency.example"
IDENTIFIER = "2024-1-LV01-KA220-VET-000777001"
HIDDEN_TITLE = "Internal budget worksheet"


def _user(email, **extra):
    return verified_user(email, password=PASSWORD, **extra)


@pytest.fixture
def world(live):
    from allauth.mfa.totp.internal.auth import TOTP

    lv = Country.objects.create(code="LV", name="Latvia", status="eu-member")
    Country.objects.create(code="EE", name="Estonia", status="eu-member")
    agency = Agency.objects.create(code="LV01", name="Latvian agency (fictional)", country=lv)
    beneficiary = _user(BENEFICIARY, first_name="Līga", last_name="Testere")
    officer = _user(OFFICER, first_name="Olga", last_name="Officer")
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    TOTP.activate(officer, OFFICER_SECRET)
    school = Organisation.objects.create(
        oid="E10000777", legal_name="Venta Vocational School", legal_form="Municipal school",
        organisation_type="vet-provider", date_established=date(2001, 9, 1), country=lv, street="Ostas iela 7",
        postcode="LV-3601", city="Ventspils", registration_number="90000777001", email="office@venta.example",
        phone="+371 60 000 777", contact_name="Līga Testere", contact_email=BENEFICIARY,
    )
    Membership.objects.create(organisation=school, user=beneficiary, role="legal-representative")
    today = timezone.localdate()
    # What the projects app does when the grant agreement is signed.
    card = publish_project_card({
        "identifier": IDENTIFIER, "title": "Digital tools for maritime training",
        "summary_en": "Three vocational schools build open training modules on navigation simulators.",
        "action_type": "KA220-VET", "key_action": "KA2", "call_year": 2024,
        "start_date": today - timedelta(days=700), "end_date": today + timedelta(days=20),
        "eu_grant": Decimal("250000.00"), "topics": ["Digital skills"], "agency": agency,
        "coordinator": school,
        "partners": [{"name": "Tallinn Sea School", "type": "vet-provider", "country": "EE", "address": "Sadama 1, Tallinn"}],
    })
    return {"card": card, "officer": officer, "beneficiary": beneficiary}


def _submit(page, text):
    with page.expect_navigation():
        page.get_by_role("button", name=text, exact=True).click()
    page.wait_for_load_state()


def _png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (0, 51, 153)).save(out, format="PNG")
    return out.getvalue()


def _add_result(page, title, kind, description, path, public=True):
    page.get_by_label("Title of the result").fill(title)
    page.get_by_label("Type of result").select_option(kind)
    page.get_by_label("Description in English").fill(description)
    if not public:
        page.get_by_label("Publish this result").uncheck()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    _submit(page, "Add the result")
    assert "The result is saved." in page.locator(".messages").inner_text()


def _beneficiary_fills_the_card(page, tmp_path):
    page.goto("/results/mine/")
    page.get_by_role("link", name="Digital tools for maritime training").click()
    page.wait_for_load_state()
    assert "We recommend showing at least one" in page.locator("main").inner_text()

    logo = tmp_path / "logo.png"
    logo.write_bytes(_png())
    page.get_by_label("Project logo").set_input_files(str(logo))
    _submit(page, "Upload the logo")
    assert "thumbnail" in page.locator(".messages").inner_text()

    page.get_by_label("Project website").fill("https://maritime-modules.example")
    _submit(page, "Save the website")
    assert "public now" in page.locator(".messages").inner_text()

    guide = tmp_path / "simulator-guide.pdf"
    guide.write_bytes(pdf(b"Fictional simulator guide for the test", objects=[Stream(20000)]))
    budget = tmp_path / "budget.csv"
    budget.write_text("item;amount\nsimulator licence;1200\n", encoding="utf-8")
    _add_result(page, "Simulator training guide", "handbook", "A guide for trainers using navigation simulators.", guide)
    # An executable in disguise is refused with a clear message, and what was typed stays.
    fake = tmp_path / "brochure.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 512)
    page.get_by_label("Title of the result").fill("Brochure")
    page.get_by_label("Type of result").select_option("publication")
    page.get_by_label("Description in English").fill("A brochure.")
    page.get_by_label("File", exact=True).set_input_files(str(fake))
    _submit(page, "Add the result")
    assert "program or script" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Title of the result").input_value() == "Brochure"
    page.goto(f"/results/p/{IDENTIFIER}/edit/")
    _add_result(page, HIDDEN_TITLE, "other", "Working numbers for the partners only.", budget, public=False)
    rows = page.locator("main table").last.inner_text()
    assert "Simulator training guide" in rows and HIDDEN_TITLE in rows and "Hidden" in rows
    # Not yet: the project has not ended.
    assert "only after the project's end date" in page.locator("main").inner_text()
    return {"logo": logo.read_bytes(), "Simulator training guide": guide.read_bytes(),
            HIDDEN_TITLE: budget.read_bytes()}


def _in_the_bucket(live, key, body):
    assert key in live.s3.keys(), f"{key} is not in the bucket"
    assert hashlib.sha256(live.s3.body(key)).hexdigest() == hashlib.sha256(body).hexdigest(), key


def _files_are_in_the_bucket(live, card, uploaded):
    """Every file the beneficiary uploaded is in the S3 bucket with the SHA-256 of what was uploaded."""
    card.refresh_from_db()
    _in_the_bucket(live, card.logo.name, uploaded["logo"])
    assert card.logo_thumbnail.name in live.s3.keys()
    records = ResultFile.objects.filter(result__card=card).select_related("result")
    assert sorted(r.result.title for r in records) == sorted([HIDDEN_TITLE, "Simulator training guide"])
    for record in records:
        body = uploaded[record.result.title]
        assert record.sha256 == hashlib.sha256(body).hexdigest() and record.size == len(body)
        _in_the_bucket(live, record.file.name, body)


def _sweep(live):
    """The sweep as cron runs it on the deployment; the number of results invitations it sent."""
    return int(re.search(r"results_invitations: (\d+)", live.manage("sweep")).group(1))


def test_results_from_upload_to_public_search(live, topology_page, smtp, assert_accessible, world, tmp_path):
    new_page, mailbox = topology_page, smtp.mailbox
    card = world["card"]
    beneficiary_page = new_page()
    log_in_page(beneficiary_page, BENEFICIARY)
    uploaded = _beneficiary_fills_the_card(beneficiary_page, tmp_path)
    _files_are_in_the_bucket(live, card, uploaded)

    # Time passes: the end date is reached and the sweep invites the coordinator (once).
    ProjectCard.objects.filter(pk=card.pk).update(end_date=timezone.localdate() - timedelta(days=1))
    assert _sweep(live) == 1
    assert _sweep(live) == 0
    invitation = mailbox.wait_for(BENEFICIARY)
    link = next(url for url in mailbox.links(invitation) if "/results/p/" in url)
    beneficiary_page.goto(live.site_path(link))
    _submit(beneficiary_page, "Submit for review")
    assert "submitted for review" in beneficiary_page.locator(".messages").inner_text()
    assert "under review by the National Agency" in beneficiary_page.locator("main").inner_text()
    assert beneficiary_page.get_by_role("button", name="Submit for review").count() == 0

    officer_page = new_page()
    log_in_page(officer_page, OFFICER, OFFICER_SECRET)
    officer_page.goto("/results/agency/")
    officer_page.get_by_role("link", name="Digital tools for maritime training").first.click()
    officer_page.wait_for_load_state()
    assert "Hidden by the beneficiary" in officer_page.locator("main").inner_text()
    officer_page.get_by_label("Comment for the beneficiary").fill("Please say which simulators the guide covers.")
    _submit(officer_page, "Return to the beneficiary")
    assert "returned to the beneficiary" in officer_page.locator(".messages").inner_text()

    returned = mailbox.wait_for(BENEFICIARY, count=2)
    assert "Please say which simulators the guide covers." in mailbox.body(returned)
    beneficiary_page.goto(f"/results/p/{IDENTIFIER}/edit/")
    assert "Please say which simulators the guide covers." in beneficiary_page.locator("main").inner_text()
    beneficiary_page.get_by_role("link", name="Simulator training guide").click()
    beneficiary_page.wait_for_load_state()
    beneficiary_page.get_by_label("Description in English").fill(
        "A guide for trainers using the bridge and engine-room navigation simulators.")
    _submit(beneficiary_page, "Save the result")
    _submit(beneficiary_page, "Submit for review")
    assert "submitted for review" in beneficiary_page.locator(".messages").inner_text()

    officer_page.goto(f"/results/agency/{IDENTIFIER}/")
    _submit(officer_page, "Approve the results")
    assert "approved" in officer_page.locator(".messages").inner_text()
    card.refresh_from_db()
    assert card.results_status == ResultsStatus.APPROVED

    # The projects app finalises the project after the final report.
    mark_project_finalised(card)

    public_page = new_page()
    public_page.goto("/results/?q=navigation+simulators")
    assert_accessible(public_page, "results search")
    found = public_page.locator("main").inner_text()
    assert "Digital tools for maritime training" in found and "1 project found" in found
    public_page.get_by_role("link", name="Digital tools for maritime training").click()
    public_page.wait_for_load_state()
    assert_accessible(public_page, "project page")
    text = public_page.locator("main").inner_text()
    assert "Simulator training guide" in text and "https://maritime-modules.example" in text
    assert "Venta Vocational School" in text and "Tallinn Sea School" in text
    assert public_page.locator("img.project-logo").count() == 1
    assert HIDDEN_TITLE not in public_page.content()

    # The hidden result is nowhere: search, facets, API, sitemap, feed.
    public_page.goto("/results/?q=" + "budget+worksheet")
    assert "0 projects found" in public_page.locator("main").inner_text()
    assert "Other" not in public_page.locator(".facets").inner_text()
    for url in ["/api/v1/public/projects", f"/api/v1/public/projects/{IDENTIFIER}", "/sitemap.xml",
                "/feeds/results.atom"]:
        response = public_page.request.get(url)
        assert response.ok, url
        assert HIDDEN_TITLE not in response.text() and "budget.csv" not in response.text(), url
    assert re.search("Simulator training guide", public_page.request.get("/feeds/results.atom").text())
    assert live.wait_for_tasks() == []
