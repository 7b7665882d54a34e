"""The back office without dead ends (issue 13), in real Chromium on the production topology (./run serve,
./run worker, the sweep as cron runs it), with the e-mails the worker sends read from the topology's SMTP
server:

the officer's home page → the work queue → the budget envelope set in the workspace (no Django admin) →
before the deadline nothing of assessment is offered, and the pages say why → the deadline passes (the call's
deadline is moved into the past, then the sweep opens the cases) → the formal check from the reading view of
the application → two experts get their assignment by e-mail, declare (seeing the organisations' names) and
score 30 points apart → consolidation → a what-if preview that saves nothing → selection within the envelope
→ release → one selected applicant declines the grant (the agency's staff get an e-mail) → the first reserve
that now fits is selected and released → its applicant sees the decision.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.models import AssignmentRole, Case, Outcome
from eplus.programme.models import Agency, AgencyMembership, BudgetEnvelope, Call

from .conftest import PASSWORD, log_in_page
from .test_assessment_journey import SECRET, _click, _person, _scores, assign_two_experts

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]


@pytest.fixture
def world(live, programme):
    from tests.evaluation import factories as f

    agency = Agency.objects.get(code="LV01")
    call = f.call("KA220")
    # The call is still open: its deadline is two hours away (the submissions below were made yesterday).
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() + timedelta(hours=2))
    BudgetEnvelope.objects.filter(agency=agency, call=call, sector="VET").delete()  # set in the journey
    officer = _person("officer.select@agency.example", "Olga", "Officer", mfa=True)
    for role in ("officer", "admin"):  # a small agency: the officer also administers its envelopes
        AgencyMembership.objects.create(user=officer, agency=agency, role=role)
    experts = []
    for email, first, last in (("anna.select@experts.example", "Anna", "Expert"),
                               ("boris.select@experts.example", "Boris", "Expert")):
        experts.append(_person(email, first, last, mfa=True))
        register_expert(agency, email=email, first_name=first, last_name=last, languages=["en"], sectors=["VET"])
    coordinators = [_person(f"coordinator.{n}@college.example", "Cora", n.title()) for n in ("one", "two", "three")]
    applications = [
        f.submitted(coordinator=coordinators[0], lump_sum="400000.00", title="Green welding skills"),
        f.submitted(coordinator=coordinators[1], lump_sum="250000.00", title="Hospitality mentors"),
        f.submitted(coordinator=coordinators[2], lump_sum="250000.00", title="Timber for trainers"),
    ]
    return {"agency": agency, "call": Call.objects.get(pk=call.pk), "officer": officer, "experts": experts,
            "coordinators": coordinators, "applications": applications}


def _score_by_orm(case, officer, scores):
    """An application scored by two experts outside the browser (the journey follows the first one)."""
    from tests.evaluation import factories as f

    confirm_formal_check(case, True, "Checked.", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        helper = f.user()
        register_expert(case.agency, email=helper.email, first_name="H", last_name="Elper", sectors=["VET"])
        assignment = declare(assign(case, helper, role, officer), True, "", helper)
        save_assessment(assignment, scores, {k: "Solid." for k in scores}, helper, submit=True)


def _mail(mailbox, to, fragment, seconds=30):
    """The first e-mail to ``to`` whose subject or body holds ``fragment``, once the worker has sent it."""
    from .conftest import wait_for

    def found():
        return next((m for m in list(mailbox.messages) if to.lower() in str(m["To"]).lower()
                     and (fragment in str(m["Subject"]) or fragment in mailbox.body(m))), None)

    return wait_for(found, seconds, what=f"an e-mail to {to} about {fragment!r}")


def _declare_and_score(page, live, mailbox, expert, number, organisations, scores, comment):
    letter = _mail(mailbox, expert.email, f"assigned you application {number}")
    link = next(url for url in mailbox.links(letter) if "/agency/expert/" in url)
    log_in_page(page, expert.email, SECRET)
    page.goto(live.site_path(link))
    text = page.locator("main").inner_text()
    assert "Conflict-of-interest declaration" in page.locator("h1").inner_text() and number in text
    for name in organisations:  # the declaration names every organisation taking part
        assert name in text
    page.get_by_label("I have no conflict of interest with this application or its organisations.").check()
    _click(page, "Make the declaration")
    for label, value in scores.items():
        page.get_by_label(re.compile(rf"^{label}: score")).fill(value)
        page.get_by_label(re.compile(rf"^{label}: comment")).fill(f"{comment} on {label.lower()}.")
    _click(page, "Submit the assessment")
    assert "Your assessment is submitted." in page.locator(".messages").inner_text()


def _compact(text):
    """``text`` without spaces of any kind (amounts are grouped with narrow no-break spaces)."""
    return re.sub(r"[\s\u202f\xa0]", "", text)


def _queue_count(page, key):
    item = page.locator(f"[data-queue={key}]")
    return int(item.get_attribute("data-count")) if item.count() else 0


def test_queue_envelope_deadline_check_experts_what_if_select_decline_and_reserve(
    live, topology_page, smtp, assert_accessible, world
):
    new_page, mailbox = topology_page, smtp.mailbox
    officer, (anna, boris) = world["officer"], world["experts"]
    first, second, third = world["applications"]
    call = world["call"]

    # 1. The officer's home page: the agency's work queue; nothing to check while the call is open.
    office = new_page()
    log_in_page(office, officer.email, SECRET)
    office.goto("/")
    assert "Your agency's work" in office.locator("main").inner_text()
    assert _queue_count(office, "formal-checks") == 0
    office.get_by_role("link", name="Applications", exact=True).first.click()
    office.wait_for_load_state()
    open_calls = office.locator("#open-calls-title").locator("xpath=..").inner_text()
    assert "3 applications submitted so far" in open_calls

    # 2. The envelope, set in the workspace by the officer who administers the agency's envelopes.
    office.get_by_role("link", name="Budget envelopes").first.click()
    office.wait_for_load_state()
    office.get_by_role("link", name="Add an envelope").first.click()
    office.wait_for_load_state()
    office.get_by_label("Call (action and round)").select_option(str(call.pk))
    office.get_by_label("Field").select_option("VET")
    office.get_by_label("Amount (EUR)").fill("700000")
    office.get_by_label("Source or note").fill("Work programme 2026, KA220 VET share.")
    _click(office, "Set the envelope")
    assert "700" in office.locator("main").inner_text()
    envelope = BudgetEnvelope.objects.get(agency=world["agency"], call=call, sector="VET")
    assert envelope.amount == Decimal("700000.00")

    # 3. Before the deadline the selection is not offered, and the page says why.
    office.get_by_role("link", name="Ranking and selection of this call and field").click()
    office.wait_for_load_state()
    assert "open for submissions until" in office.locator("main").inner_text()
    assert office.get_by_role("button", name="Rank and select within the envelope").count() == 0
    assert Case.objects.filter(call=call).count() == 0  # the sweep opens cases only after the deadline
    assert "cases_opened: 0" in live.manage("sweep")

    # 4. The deadline passes; the sweep (cron) opens the three cases with their eligibility verdicts.
    Call.objects.filter(pk=call.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert "cases_opened: 3" in live.manage("sweep")
    cases = {c.application_id: c for c in Case.objects.filter(call=call)}
    for application, scores in ((second, {"relevance": "20", "design": "25", "partnership": "16", "impact": "20"}),
                                (third, {"relevance": "20", "design": "20", "partnership": "15", "impact": "20"})):
        _score_by_orm(cases[application.pk], officer, scores)  # 81 and 75 points

    # 5. From the queue to the formal check, decided on the reading view of the application.
    office.goto("/")
    assert _queue_count(office, "formal-checks") == 1
    office.locator("[data-queue=formal-checks] a").click()
    office.wait_for_load_state()
    office.get_by_role("link", name=first.number).click()
    office.wait_for_load_state()
    office.get_by_role("link", name="Read the submitted application").click()
    office.wait_for_load_state()
    reading = office.locator("main").inner_text()
    assert "Green welding skills" in reading and first.applicant.legal_name in reading
    assert_accessible(office, "reading view with the formal check")
    office.get_by_label("Eligible: the assessment can start").check()
    office.get_by_label("Reason").fill("Read in full; eligible.")
    _click(office, "Record the formal check")
    assert "The formal check is recorded." in office.locator(".messages").inner_text()

    # 6. Two experts by hand; each gets an e-mail, declares (seeing every organisation) and scores.
    assign_two_experts(office, anna, boris)
    organisations = [p.organisation.legal_name for p in first.participations.select_related("organisation")]
    anna_page, boris_page = new_page(), new_page()
    _declare_and_score(anna_page, live, mailbox, anna, first.number, organisations,
                       _scores("24", "28", "19", "24"), "Excellent")
    _declare_and_score(boris_page, live, mailbox, boris, first.number, organisations,
                       _scores("15", "20", "15", "15"), "Adequate")
    case = Case.objects.get(application=first)
    assert case.state == "consolidation"

    # 7. Consolidation by Anna as lead expert (95 and 65 differ by 30 points): 86.
    office.reload()
    office.locator("#id_expert").select_option(label=f"{anna.get_full_name()} (en; VET)")
    office.locator("#id_role").select_option(label="Consolidating expert")
    _click(office, "Assign the expert")
    anna_page.goto("/agency/expert/")
    anna_page.get_by_role("row", name=re.compile("Consolidating expert")).get_by_role("link").first.click()
    anna_page.wait_for_load_state()
    for label, value in _scores("21", "26", "18", "21").items():
        anna_page.get_by_label(re.compile(rf"^{label}: score")).fill(value)
        anna_page.get_by_label(re.compile(rf"^{label}: comment")).fill(f"Consolidated view on {label.lower()}.")
    _click(anna_page, "Submit the assessment")
    case.refresh_from_db()
    assert case.state == "scored" and str(case.final_total) == "86.00"

    # 8. What if the envelope held 1 000 000? All three would fit; the preview saves nothing.
    office.goto(f"/agency/ranking/{call.pk}/VET/")
    main = office.locator("main").inner_text()
    assert "700000.00EUR" in _compact(main)
    office.get_by_label("Envelope amount (EUR)").fill("1000000")
    _click(office, "Preview the selection")
    preview = office.locator(".preview").inner_text()
    assert "900000.00EURwouldbecommitted" in _compact(preview) and third.number in preview
    assert not Case.objects.filter(call=call).exclude(outcome="").exists()
    assert_accessible(office, "ranking with the what-if preview")

    # 9. The selection within the 700 000: the first two selected (650 000), the third on the reserve list.
    office.goto(f"/agency/ranking/{call.pk}/VET/")
    _click(office, "Rank and select within the envelope")
    outcomes = {c.application_id: c.outcome for c in Case.objects.filter(call=call)}
    assert outcomes == {first.pk: Outcome.SELECTED, second.pk: Outcome.SELECTED, third.pk: Outcome.RESERVE}
    _click(office, "Stage the decision letters")
    _click(office, "Release the chosen decisions")
    coordinators = world["coordinators"]
    for person, application in zip(coordinators, (first, second, third), strict=True):
        _mail(mailbox, person.email, application.number)

    # 10. The second applicant declines the grant; the agency's staff hear of it by e-mail.
    applicant = new_page()
    log_in_page(applicant, coordinators[1].email)
    applicant.goto(f"/agency/decisions/{second.pk}/")
    assert "Selected" in applicant.locator("main").inner_text()
    applicant.locator("details.decline summary").click()
    if applicant.get_by_role("link", name="Confirm your identity to decline the grant").count():
        applicant.get_by_role("link", name="Confirm your identity to decline the grant").click()
        applicant.get_by_label("Password").fill(PASSWORD)
        applicant.locator("main button[type=submit]").first.click()
        applicant.wait_for_load_state()
        applicant.locator("details.decline summary").click()
    applicant.get_by_label("Why do you decline the grant?").fill("Our partner college has closed its kitchen.")
    applicant.get_by_label("I decline the grant for this project; this cannot be undone.").check()
    _click(applicant, "Decline the grant")
    assert "You have declined the grant." in applicant.locator(".messages").inner_text()
    notice = _mail(mailbox, officer.email, "Grant declined")
    assert "Our partner college has closed its kitchen." in mailbox.body(notice)
    ranking_link = next(url for url in mailbox.links(notice) if "/agency/ranking/" in url)

    # 11. The officer follows the e-mail to the reserve list: the third now fits; selected and released.
    office.goto(live.site_path(ranking_link))
    reserve = office.locator("#reserve-title").locator("xpath=..").inner_text()
    assert "300000.00EURleft" in _compact(reserve)
    office.get_by_role("button", name=f"Select {third.number}").click()
    office.wait_for_load_state()
    assert "Decision outbox" in office.locator("h1").inner_text()
    _click(office, "Release the chosen decisions")
    assert Case.objects.get(application=third).outcome == Outcome.SELECTED
    figures = BudgetEnvelope.objects.get(pk=envelope.pk)
    from eplus.evaluation import envelopes

    assert envelopes.figures(figures).committed == Decimal("650000.00")

    # 12. The third applicant gets the letter and sees the grant.
    from .conftest import wait_for

    letters = wait_for(lambda: len(smtp.to(coordinators[2].email)) >= 2 and smtp.to(coordinators[2].email), 30,
                       what="the second decision letter")
    link = next(url for url in mailbox.links(letters[-1]) if "/agency/decisions/" in url)
    third_page = new_page()
    log_in_page(third_page, coordinators[2].email)
    third_page.goto(live.site_path(link))
    text = third_page.locator("main").inner_text()
    assert "Selected" in text and "250" in text
    assert live.wait_for_tasks() == []
