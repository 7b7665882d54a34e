"""The foundation journey in real Chromium on the production topology (./run serve, ./run worker), with
the e-mails the worker sends read from the topology's SMTP server:

sign up → verification e-mail → a weak password refused with its reason → password set → log out and
log in → register an organisation over several steps, leave halfway, come back and resume → OID
shown → an agency officer (with the second factor) certifies it → the applicant is told by e-mail.
axe-core checks sign-up, log-in, the registration steps and the dashboard on the way.
"""

import re

import pytest

from eplus.organisations.models import Organisation
from eplus.programme.models import Agency, AgencyMembership

from .conftest import totp_now, verified_user

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

OFFICER_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
APPLICANT = "maija.e2e@school.example"
STRONG = "Stronger-Pass-2026"


@pytest.fixture
def officer(live, programme):
    from allauth.mfa.totp.internal.auth import TOTP

    user = verified_user("officer.e2e@agency.example", password=STRONG, first_name="Otto", last_name="Officer")
    AgencyMembership.objects.create(user=user, agency=Agency.objects.get(code="LV01"), role="officer")
    TOTP.activate(user, OFFICER_SECRET)
    return user


def _submit(page, text):
    page.get_by_role("button", name=text, exact=True).click()
    page.wait_for_load_state()


def _sign_up_and_set_password(page, live, mailbox, assert_accessible):
    page.goto("/accounts/signup/")
    assert_accessible(page, "sign-up")
    page.get_by_label("First name").fill("Maija")
    page.get_by_label("Last name").fill("Testere")
    page.get_by_label("E-mail address").fill(APPLICANT)
    page.get_by_label("E-mail language").select_option("en")
    # Forgetting the privacy notice is refused with a message; nothing typed is lost.
    _submit(page, "Create account")
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_label("First name").input_value() == "Maija"
    assert page.get_by_label("E-mail address").input_value() == APPLICANT
    page.get_by_label("I have read and accept the privacy notice").check()
    _submit(page, "Create account")
    assert "Check your e-mail" in page.locator("h1").inner_text()

    message = mailbox.wait_for(APPLICANT)
    link = next(url for url in mailbox.links(message) if "/accounts/confirm-email/" in url)
    # On the site's public address (SITE_URL), not on the host the browser came in on (localhost here).
    page.goto(live.site_path(link))
    assert "Choose your password" in page.locator("h1").inner_text()
    page.get_by_label(re.compile(r"^Password\W*$")).fill("weakpass")
    page.get_by_label("Password (again)").fill("weakpass")
    _submit(page, "Set password and log in")
    summary = page.locator(".error-summary").inner_text()
    assert "at least 10 characters" in summary
    assert "at least 3 of these" in summary
    page.get_by_label(re.compile(r"^Password\W*$")).fill(STRONG)
    page.get_by_label("Password (again)").fill(STRONG)
    _submit(page, "Set password and log in")
    assert page.url.rstrip("/").endswith("/dashboard")


def _log_out_and_in(page, assert_accessible):
    page.locator("header").get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    if page.get_by_role("button", name="Log out").count():  # allauth's confirmation page
        page.locator("main").get_by_role("button", name="Log out").click()
        page.wait_for_load_state()
    page.goto("/accounts/login/")
    assert_accessible(page, "log-in")
    page.get_by_label("E-mail address").fill(APPLICANT)
    page.get_by_label("Password").fill(STRONG)
    _submit(page, "Log in")
    assert page.url.rstrip("/").endswith("/dashboard")
    assert_accessible(page, "dashboard")


def _register_half_and_resume(page, assert_accessible):
    page.goto("/organisations/search/?name=Gauja+Riverside+School")
    page.get_by_role("link", name="Register a new organisation").click()
    page.wait_for_load_state()
    assert_accessible(page, "registration step 1")
    page.get_by_label("Legal name").fill("Gauja Riverside School")
    page.get_by_label("Legal form").fill("Municipal school")
    page.get_by_label("Organisation type").select_option("school")
    page.get_by_label("Public or private").select_option("public")
    page.get_by_label("Is the organisation non-profit?").select_option(index=1)
    page.get_by_label("Date of establishment").fill("1995-09-01")
    _submit(page, "Next")

    assert_accessible(page, "registration step 2")
    page.get_by_label("Country").select_option("LV")
    page.get_by_label("Street and number").fill("Upes iela 1")
    page.get_by_label("Postcode").fill("not a code")  # bad input: clear message, nothing lost
    page.get_by_label("City").fill("Sigulda")
    _submit(page, "Next")
    assert "postcode" in page.locator(".error-summary").inner_text().lower()
    assert page.get_by_label("City").input_value() == "Sigulda"
    page.get_by_label("Postcode").fill("LV-2150")
    _submit(page, "Save and continue later")

    # Leave: the draft waits under "My organisations" and resumes where it was left.
    page.goto("/dashboard/")
    page.goto("/organisations/")
    page.get_by_role("link", name=re.compile("Resume")).first.click()
    page.wait_for_load_state()
    if page.get_by_label("Street and number").count():  # resumed on the address step: data kept
        assert page.get_by_label("Street and number").input_value() == "Upes iela 1"
        assert page.get_by_label("Postcode").input_value() == "LV-2150"
        _submit(page, "Next")

    page.get_by_label("Registration number").fill("40003000021")
    page.get_by_label("VAT number").fill("LV40003000021")
    page.get_by_label("Website").fill("ftp://nonsense")  # refused with a clear message
    _submit(page, "Next")
    assert "website" in page.locator(".error-summary").inner_text().lower()
    assert page.get_by_label("Registration number").input_value() == "40003000021"
    page.get_by_label("Website").fill("https://gauja-school.example")
    _submit(page, "Next")

    assert_accessible(page, "registration step 4")
    page.get_by_label("E-mail of the organisation").fill("office@gauja-school.example")
    page.get_by_label("Phone of the organisation").fill("+371 60 000 123")
    page.get_by_label("Your role in the organisation").select_option("legal-representative")
    page.get_by_label("Who is the contact person?").select_option("me")
    _submit(page, "Next")

    assert "Gauja Riverside School" in page.locator("main").inner_text()
    page.get_by_label("I confirm that the information above is correct").check()
    _submit(page, "Complete registration")
    text = page.locator("main").inner_text()
    oid = re.search(r"\bE\d{8}\b", text).group(0)
    assert f"Your organisation ID (OID) is {oid}" in text
    return oid


def _officer_certifies(page, officer, oid):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(officer.email)
    page.get_by_label("Password").fill(STRONG)
    _submit(page, "Log in")
    # Agency staff must pass the second factor.
    page.locator("input[name=code]").fill(totp_now(OFFICER_SECRET))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto("/organisations/agency/")
    page.get_by_role("link", name=re.compile("Gauja Riverside School")).click()
    page.wait_for_load_state()
    assert oid in page.locator("main").inner_text()
    _submit(page, "Certify")


def test_sign_up_register_an_organisation_and_have_it_certified(
    live, topology_page, smtp, assert_accessible, officer
):
    new_page, mailbox = topology_page, smtp.mailbox
    applicant_page = new_page()
    _sign_up_and_set_password(applicant_page, live, mailbox, assert_accessible)
    _log_out_and_in(applicant_page, assert_accessible)
    oid = _register_half_and_resume(applicant_page, assert_accessible)

    organisation = Organisation.objects.get(oid=oid)
    assert organisation.status == Organisation.Status.UNDER_VALIDATION
    assert organisation.memberships.get().user.email == APPLICANT

    _officer_certifies(new_page(), officer, oid)
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.CERTIFIED

    # The applicant is told by e-mail and sees the new status on the dashboard.
    notice = mailbox.wait_for(APPLICANT, count=2)
    assert oid in mailbox.body(notice) or oid in str(notice["Subject"])
    applicant_page.goto("/dashboard/")
    assert "Certified" in applicant_page.locator("main").inner_text()
    assert live.wait_for_tasks() == []
