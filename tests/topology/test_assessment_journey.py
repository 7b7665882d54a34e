"""The assessment journey in real Chromium on the production topology (./run serve, ./run worker), with the
e-mails the worker sends read from the topology's SMTP server:

an officer (with the second factor) confirms the formal check and assigns two experts by hand → each expert
declares no conflict and scores; their scores differ by 30 points → consolidation by the lead expert →
ranking and selection within the LV01 KA220 VET envelope (with a second, already scored application) →
decisions staged and released together from the outbox → the applicant gets the letter, sees the decision
and accepts the grant agreement → the officer countersigns → the project exists with its payments and its
public project card.
"""

import re
import urllib.parse

import pytest

from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.models import AssignmentRole, Case, Outcome
from eplus.programme.models import Agency, AgencyMembership

from .conftest import PASSWORD, log_in_page, verified_user

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _person(email, first, last, mfa=False, language="en"):
    from allauth.mfa.totp.internal.auth import TOTP

    user = verified_user(email, password=PASSWORD, first_name=first, last_name=last, email_language=language)
    if mfa:
        TOTP.activate(user, SECRET)
    return user


def _click(page, name):
    page.get_by_role("button", name=name, exact=True).first.click()
    page.wait_for_load_state()


@pytest.fixture
def world(live, programme):
    from tests.evaluation import factories as f

    agency = Agency.objects.get(code="LV01")
    officer = _person("officer.assess@agency.example", "Olga", "Officer", mfa=True)
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    experts = []
    for email, first, last in (("anna.expert@experts.example", "Anna", "Expert"),
                               ("boris.expert@experts.example", "Boris", "Expert")):
        person = _person(email, first, last, mfa=True)
        register_expert(agency, email=email, first_name=first, last_name=last, languages=["en"],
                                 sectors=["VET"])
        experts.append(person)
    coordinator = _person("coordinator@college.example", "Cora", "Coordinator")
    # No priority chosen: the engine's verdict, stored when the case is opened, finds a problem.
    application = f.submitted(coordinator=coordinator, lump_sum="400000.00", title="Green welding skills",
                              priorities=())
    # A second application of the same call and field, already assessed, so the ranking has two lines.
    rival = f.submitted(lump_sum="400000.00", title="Hospitality mentors")
    open_cases()
    rival_case = Case.objects.get(application=rival)
    confirm_formal_check(rival_case, True, "", officer)
    scores = {"relevance": "20", "design": "25", "partnership": "16", "impact": "20"}  # 81
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        helper = f.user()
        register_expert(agency, email=helper.email, first_name="H", last_name="Elper", sectors=["VET"])
        assignment = assign(rival_case, helper, role, officer)
        declare(assignment, True, "", helper)
        save_assessment(assignment, scores, {k: "Solid." for k in scores}, helper, submit=True)
    return {"officer": officer, "experts": experts, "coordinator": coordinator, "application": application,
            "rival": rival}


def _scores(relevance, design, partnership, impact):
    return {"Relevance of the project": relevance, "Quality of project design and implementation": design,
            "Quality of partnership and cooperation arrangements": partnership, "Impact": impact}


def assign_two_experts(office, first, second):
    """On the case page: ``first`` and ``second`` assigned by hand as the first and second expert."""
    for expert, role in ((first, "First expert"), (second, "Second expert")):
        office.locator("#id_expert").select_option(label=f"{expert.get_full_name()} (en; VET)")
        office.locator("#id_role").select_option(label=role)
        _click(office, "Assign the expert")
        assert "The expert is assigned." in office.locator(".messages").inner_text()


def _expert_scores(page, assignment_number, scores, comment):
    page.goto("/agency/expert/")
    page.get_by_role("link", name=assignment_number).click()
    page.wait_for_load_state()
    assert "Conflict-of-interest declaration" in page.locator("h1").inner_text()
    page.get_by_label("I have no conflict of interest with this application or its organisations.").check()
    _click(page, "Make the declaration")
    assert "Green welding skills" in page.locator("main").inner_text()
    for label, value in scores.items():
        page.get_by_label(re.compile(rf"^{label}: score")).fill(value)
        page.get_by_label(re.compile(rf"^{label}: comment")).fill(f"{comment} on {label.lower()}.")
    _click(page, "Submit the assessment")
    assert "Your assessment is submitted." in page.locator(".messages").inner_text()


def test_assign_score_consolidate_select_release_sign_and_create_the_project(
    live, topology_page, smtp, assert_accessible, world
):
    new_page, mailbox = topology_page, smtp.mailbox
    officer, (anna, boris) = world["officer"], world["experts"]
    application = world["application"]
    number = application.number

    # 1. The officer: workspace → the application → formal check → two experts by hand.
    office = new_page()
    log_in_page(office, officer.email, SECRET)
    office.goto("/agency/")
    assert_accessible(office, "workspace")
    office.get_by_role("link", name=number).click()
    office.wait_for_load_state()
    office.get_by_label("Eligible: the assessment can start").check()
    _click(office, "Record the formal check")
    # The engine's verdict on the snapshot (stored when the sweep opened the case) finds problems in this
    # synthetic application: confirming it as eligible anyway needs a reason, and what was chosen stays chosen.
    assert "give the reason why you still confirm" in office.locator(".error-summary").inner_text()
    assert office.get_by_label("Eligible: the assessment can start").is_checked()
    office.get_by_label("Reason").fill("Work packages checked by hand against the PDF.")
    _click(office, "Record the formal check")
    assert "The formal check is recorded." in office.locator(".messages").inner_text()
    assign_two_experts(office, anna, boris)
    assert_accessible(office, "case page")

    # 2. Two experts score independently: 95 and 65 points differ by 30 → consolidation.
    anna_page = new_page()
    log_in_page(anna_page, anna.email, SECRET)
    _expert_scores(anna_page, number, _scores("24", "28", "19", "24"), "Excellent")
    boris_page = new_page()
    log_in_page(boris_page, boris.email, SECRET)
    _expert_scores(boris_page, number, _scores("15", "20", "15", "15"), "Adequate")
    case = Case.objects.get(application=application)
    assert case.state == "consolidation"

    # 3. The officer makes Anna the lead expert; she consolidates at 86.
    office.reload()
    assert "differ by 30 points" in office.locator("main").inner_text()
    office.locator("#id_expert").select_option(label=f"{anna.get_full_name()} (en; VET)")
    office.locator("#id_role").select_option(label="Consolidating expert")
    _click(office, "Assign the expert")
    anna_page.goto("/agency/expert/")
    anna_page.get_by_role("row", name=re.compile("Consolidating expert")).get_by_role("link").click()
    anna_page.wait_for_load_state()
    assert "The two assessments to consolidate" in anna_page.locator("main").inner_text()
    assert_accessible(anna_page, "consolidation form")
    for label, value in _scores("21", "26", "18", "21").items():
        anna_page.get_by_label(re.compile(rf"^{label}: score")).fill(value)
        anna_page.get_by_label(re.compile(rf"^{label}: comment")).fill(f"Consolidated view on {label.lower()}.")
    _click(anna_page, "Submit the assessment")
    case.refresh_from_db()
    assert case.state == "scored" and str(case.final_total) == "86.00" and case.fundable

    # 4. Ranking and selection: 839 394 EUR fits one 400 000 project after the other: both selected;
    #    the officer moves the rival to the reserve list with a reason.
    office.goto(f"/agency/ranking/{case.call_id}/VET/")
    _click(office, "Rank and select within the envelope")
    assert_accessible(office, "ranking")
    rows = office.locator("table.eval-table tbody tr")
    assert number in rows.nth(0).inner_text() and "Selected" in rows.nth(0).inner_text()
    rival_number = world["rival"].number
    row = office.get_by_role("row", name=re.compile(rival_number))
    row.get_by_label("New outcome").select_option("reserve")
    row.get_by_label("Reason for the change").fill("Same coordinator already funded in this field.")
    row.get_by_role("button", name=f"Change {rival_number}").click()
    office.wait_for_load_state()
    assert Case.objects.get(application=world["rival"]).outcome == Outcome.RESERVE
    assert office.locator("svg.budget-svg").count() == 1

    # 5. Stage, review the outbox, release together.
    _click(office, "Stage the decision letters")
    assert "Decision outbox" in office.locator("h1").inner_text()
    assert "Consolidated view on impact." in office.locator("main").inner_text()
    assert_accessible(office, "outbox")
    _click(office, "Release the chosen decisions")
    letter = mailbox.wait_for(world["coordinator"].email)
    link = live.site_path(next(url for url in mailbox.links(letter) if "/agency/decisions/" in url))

    # 6. The applicant sees the decision and accepts the grant agreement.
    applicant = new_page()
    log_in_page(applicant, world["coordinator"].email)
    # The application's own page leads to the released decision too (the same page as the e-mail's link).
    applicant.goto(f"/applications/{case.application_id}/")
    applicant.get_by_role("link", name="See the agency's decision").click()
    applicant.wait_for_load_state()
    assert urllib.parse.urlsplit(applicant.url).path == urllib.parse.urlsplit(link).path
    applicant.goto(link)  # the e-mail's link, opened on the site
    assert urllib.parse.urlsplit(applicant.url).path == urllib.parse.urlsplit(link).path
    text = applicant.locator("main").inner_text()
    assert "Selected" in text and "Consolidated view on relevance of the project." in text
    assert_accessible(applicant, "decision")
    _click(applicant, "Accept the grant agreement")
    if applicant.get_by_label("Password").count():  # re-authentication when the log-in is not recent
        applicant.get_by_label("Password").fill(PASSWORD)
        applicant.locator("main button[type=submit]").first.click()
        applicant.wait_for_load_state()
    assert "You have accepted the grant agreement" in applicant.locator("main").inner_text()

    # 7. The agency countersigns: the project exists, with its payment schedule and public card.
    office.goto(f"/agency/cases/{case.pk}/")
    _click(office, "Countersign and create the project")
    assert "the project is created" in office.locator(".messages").inner_text()
    from eplus.projects.models import Project
    from eplus.results.models import ProjectCard

    project = Project.objects.get(application=application)
    assert str(project.lump_sum) == "400000.00" and project.payments.count() >= 2
    assert ProjectCard.objects.filter(identifier=project.number, title="Green welding skills").exists()
    assert live.wait_for_tasks() == []
