"""Redress (issue 13, item 9): the applicant asks for a review of a released rejection within the call's
period; an officer of that agency records the outcome once; both are audited, mailed and shown on the
decision page, the officer's pages and the case page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from eplus.applications.models import ApplicationAccess
from eplus.core import time as clock
from eplus.core.models import AuditEvent, OutgoingMail
from eplus.evaluation import redress
from eplus.evaluation.models import Case, Decision, DecisionStatus, Outcome, RedressRequest, RedressStatus
from eplus.evaluation.workflow import EvaluationError
from tests.concurrency import run_at_once
from tests.factories import log_in_reauthenticated

from . import factories as f

GROUNDS = "The experts scored relevance without reading our needs analysis in section 2."


def _released(outcome=Outcome.REJECTED, coordinator=None, days_ago=0, agency="LV01"):
    """A case of ``agency`` whose decision (``outcome``) was released ``days_ago`` days ago."""
    coordinator = coordinator or f.user()
    case = f.opened_case(coordinator=coordinator, agency=agency)
    case.outcome, case.decision_status = outcome, DecisionStatus.RELEASED
    case.save()
    decision = Decision.objects.create(
        case=case, outcome=outcome, status=DecisionStatus.RELEASED, recipients=[coordinator.email],
        subject="Decision", body="Not selected.", released_at=clock.now() - timedelta(days=days_ago))
    return coordinator, decision


def _days(decision):
    return redress.request_days(decision.case.call)


@pytest.mark.django_db
def test_the_calls_data_gives_the_period(programme):
    _coordinator, decision = _released()
    assert _days(decision) == 30  # calls-2026.json other_rules.redress_request_days (marked verify)
    assert "verify" in decision.case.call.sources["redress_request_days"]
    assert redress.last_day(decision) == clock.to_brussels(decision.released_at).date() + timedelta(days=30)


@pytest.mark.django_db
def test_a_request_within_the_period_is_recorded_audited_and_the_agency_told(programme):
    officer = f.officer()
    coordinator, decision = _released(days_ago=29)
    assert redress.is_open(decision)
    item = redress.request_review(decision, f"  {GROUNDS}  ", coordinator)
    assert item.status == RedressStatus.REQUESTED and item.grounds == GROUNDS and item.requested_by == coordinator
    assert AuditEvent.objects.filter(verb="request-review", object_type="evaluation.redressrequest",
                                     agency_code="LV01").count() == 1
    assert AuditEvent.objects.filter(verb="request-review", object_type="applications.application",
                                     object_id=str(decision.case.application_id), reason=GROUNDS).count() == 1
    told = OutgoingMail.objects.filter(kind="evaluation/email/redress_request")
    assert [m.recipients for m in told] == [[officer.email]]
    assert decision.case.application.number in told[0].subject and GROUNDS in told[0].body
    assert not redress.is_open(decision)  # asked: no second request


@pytest.mark.django_db
def test_after_the_period_refused_with_the_last_day(programme):
    coordinator, decision = _released(days_ago=40)
    day = redress.last_day(decision)
    with translation.override("en"), pytest.raises(EvaluationError) as refused:
        redress.request_review(decision, GROUNDS, coordinator)
    with translation.override("en"):
        assert redress.format_day(day) in str(refused.value)
    assert f"{day.day} " in str(refused.value) and str(day.year) in str(refused.value)
    assert not RedressRequest.objects.exists()


@pytest.mark.django_db
def test_the_last_day_is_open_until_midnight_brussels(programme, monkeypatch):
    coordinator, decision = _released()
    end = redress.closes_at(decision)
    monkeypatch.setattr(clock, "now", lambda: end)
    assert redress.request_review(decision, GROUNDS, coordinator).pk
    _c2, later = _released()
    monkeypatch.setattr(clock, "now", lambda: redress.closes_at(later) + timedelta(seconds=1))
    with pytest.raises(EvaluationError, match="ended on"):
        redress.request_review(later, GROUNDS, _c2)


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [Outcome.SELECTED, Outcome.RESERVE, Outcome.DECLINED])
def test_only_a_rejection_can_be_reviewed(programme, outcome):
    coordinator, decision = _released(outcome=outcome)
    assert not redress.is_open(decision)
    with pytest.raises(EvaluationError, match="rejects the application"):
        redress.request_review(decision, GROUNDS, coordinator)


@pytest.mark.django_db
def test_a_staged_decision_cannot_be_reviewed(programme):
    coordinator, decision = _released()
    Decision.objects.filter(pk=decision.pk).update(status=DecisionStatus.STAGED)
    decision.refresh_from_db()
    with pytest.raises(EvaluationError):
        redress.request_review(decision, GROUNDS, coordinator)


@pytest.mark.django_db
def test_grounds_required_and_not_by_a_partner_without_rights(programme):
    coordinator, decision = _released()
    with pytest.raises(ValidationError) as missing:
        redress.request_review(decision, "   ", coordinator)
    assert "grounds" in missing.value.message_dict
    partner = f.user()  # a partner's person with the application shared to read
    ApplicationAccess.objects.create(application=decision.case.application, user=partner, level="view")
    assert partner.has_perm("evaluation.view_decision", decision)
    with pytest.raises(EvaluationError, match="legal representative or contact person"):
        redress.request_review(decision, GROUNDS, partner)
    with pytest.raises(EvaluationError):
        redress.request_review(decision, GROUNDS, f.user())  # a stranger
    assert not RedressRequest.objects.exists()


@pytest.mark.django_db
def test_a_second_request_gives_the_first(programme):
    coordinator, decision = _released()
    first = redress.request_review(decision, GROUNDS, coordinator)
    again = redress.request_review(decision, "Other grounds.", coordinator)
    assert again.pk == first.pk and again.grounds == GROUNDS
    assert RedressRequest.objects.count() == 1
    assert AuditEvent.objects.filter(verb="request-review", object_type="evaluation.redressrequest").count() == 1


@pytest.mark.django_db
def test_outcome_recorded_once_by_the_agency_and_mailed_in_the_requesters_language(programme):
    officer = f.officer()
    coordinator, decision = _released()
    coordinator.email_language = "lv"
    coordinator.save()
    item = redress.request_review(decision, GROUNDS, coordinator)
    with pytest.raises(ValidationError) as missing:
        redress.record_outcome(item, RedressStatus.UPHELD, " ", officer)
    assert "reason" in missing.value.message_dict
    with pytest.raises(ValidationError):
        redress.record_outcome(item, "maybe", "Because.", officer)
    with pytest.raises(PermissionDenied):
        redress.record_outcome(item, RedressStatus.UPHELD, "Because.", f.officer("LV02"))
    with pytest.raises(PermissionDenied):
        redress.record_outcome(item, RedressStatus.UPHELD, "Because.", coordinator)

    done = redress.record_outcome(item, RedressStatus.UPHELD, "The scores follow the criteria.", officer)
    assert done.status == RedressStatus.UPHELD and done.decided_by == officer and done.decided_at
    again = redress.record_outcome(item, RedressStatus.UPHELD, "Once more.", officer)  # a second click
    assert again.outcome_reason == "The scores follow the criteria."
    with pytest.raises(EvaluationError, match="already recorded"):
        redress.record_outcome(item, RedressStatus.REVISED, "Changed my mind.", officer)
    assert AuditEvent.objects.filter(verb="decide-review", object_type="evaluation.redressrequest").count() == 1
    assert AuditEvent.objects.filter(verb="decide-review", object_type="applications.application").count() == 1
    mails = list(OutgoingMail.objects.filter(kind="evaluation/email/redress_outcome"))
    assert len(mails) == 1 and mails[0].recipients == [coordinator.email] and mails[0].language == "lv"
    assert "The scores follow the criteria." in mails[0].body
    # The case's own outcome is not changed by the review.
    assert Case.objects.get(pk=decision.case_id).outcome == Outcome.REJECTED


@pytest.mark.django_db
def test_revised_puts_a_scored_rejection_on_the_reserve_list_and_it_can_be_selected(programme):
    from eplus.evaluation.decisions import release, reserve_list, select_from_reserve, stage_decisions
    from eplus.evaluation.models import GrantAgreement
    from eplus.evaluation.ranking import run_selection

    from .test_reserve import _scored

    officer, coordinator = f.officer(), f.user()
    weak = {"relevance": "10", "design": "10", "partnership": "5", "impact": "5"}  # 30: not fundable
    case = _scored(officer, weak, lump_sum="120000.00", coordinator=coordinator)
    run_selection(case.agency, case.call, "VET", officer)
    release(stage_decisions(case.agency, case.call, "VET", officer), officer)
    decision = Decision.objects.get(case=case)
    assert decision.outcome == Outcome.REJECTED and decision.status == DecisionStatus.RELEASED

    item = redress.request_review(decision, GROUNDS, coordinator)
    redress.record_outcome(item, RedressStatus.REVISED, "Section 2 was overlooked; the scores are wrong.", officer)
    case = Case.objects.get(pk=case.pk)
    assert case.outcome == Outcome.RESERVE
    assert AuditEvent.objects.filter(verb="revise-after-review", object_type="evaluation.case").count() == 1
    mail = OutgoingMail.objects.get(kind="evaluation/email/redress_outcome")
    assert "reserve list" in mail.body
    _left, rows = reserve_list(case.agency, case.call, "VET")
    assert [(c.pk, fits) for c, fits in rows] == [(case.pk, True)]
    staged = select_from_reserve(case, officer)
    release([staged], officer)
    assert Case.objects.get(pk=case.pk).outcome == Outcome.SELECTED
    assert GrantAgreement.objects.filter(case=case).exists()
    assert RedressRequest.objects.get(pk=item.pk).status == RedressStatus.REVISED  # kept with the new decision


# --- pages ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_decision_page_offers_the_form_with_the_deadline_then_shows_the_status(client, programme):
    coordinator, decision = _released()
    url = reverse("evaluation:decision", args=[decision.case.application_id])
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert "Ask for a review" in page and 'name="grounds"' in page
    assert redress.last_day(decision).strftime("%Y") in page and "23:59 Brussels" in page
    post = reverse("evaluation:request_review", args=[decision.case.application_id])

    empty = client.post(post, {"grounds": "  "})
    assert empty.status_code == 400
    body = empty.content.decode()
    assert "error-summary" in body and "Grounds for the review" in body

    too_long = client.post(post, {"grounds": "x" * (redress.GROUNDS_MAX + 1)})
    assert too_long.status_code == 400 and "x" * redress.GROUNDS_MAX in too_long.content.decode()  # kept

    done = client.post(post, {"grounds": GROUNDS})
    assert done.status_code == 302
    page = client.get(url).content.decode()
    assert GROUNDS in page and "Review requested" in page and 'name="grounds"' not in page


@pytest.mark.django_db
def test_decision_page_after_the_period_says_when_it_ended(client, programme):
    coordinator, decision = _released(days_ago=31)
    client.force_login(coordinator)
    page = client.get(reverse("evaluation:decision", args=[decision.case.application_id])).content.decode()
    assert "The period for asking for a review ended on" in page and 'name="grounds"' not in page
    refused = client.post(reverse("evaluation:request_review", args=[decision.case.application_id]),
                          {"grounds": GROUNDS})
    assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    assert "ended on" in refused.content.decode()


@pytest.mark.django_db
def test_partner_sees_no_form_and_a_post_is_refused_with_a_message(client, programme):
    _coordinator, decision = _released()
    partner = f.user()
    ApplicationAccess.objects.create(application=decision.case.application, user=partner, level="view")
    client.force_login(partner)
    page = client.get(reverse("evaluation:decision", args=[decision.case.application_id])).content.decode()
    assert 'name="grounds"' not in page and "legal representative or contact person" in page
    refused = client.post(reverse("evaluation:request_review", args=[decision.case.application_id]),
                          {"grounds": GROUNDS})
    assert refused.status_code == 400 and not RedressRequest.objects.exists()
    client.force_login(f.user())
    assert client.post(reverse("evaluation:request_review", args=[decision.case.application_id]),
                       {"grounds": GROUNDS}).status_code == 404


@pytest.mark.django_db
def test_officer_lists_and_records_the_outcome_another_agency_404(client, programme):
    officer = f.officer()
    coordinator, decision = _released()
    item = redress.request_review(decision, GROUNDS, coordinator)
    log_in_reauthenticated(client, officer)
    workspace = client.get(reverse("evaluation:workspace")).content.decode()
    assert reverse("evaluation:redress_list") in workspace  # the back office's navigation links it
    listing = client.get(reverse("evaluation:redress_list")).content.decode()
    assert decision.case.application.number in listing and item.get_absolute_url() in listing
    page = client.get(item.get_absolute_url()).content.decode()
    assert GROUNDS in page and "<legend>" in page and 'name="outcome"' in page

    bad = client.post(item.get_absolute_url(), {"outcome": "", "reason": "Kept text"})
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "error-summary" in body and "Kept text" in body

    done = client.post(item.get_absolute_url(), {"outcome": "revised", "reason": "Section 2 was overlooked."})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == RedressStatus.REVISED
    case_page = client.get(reverse("evaluation:case", args=[decision.case_id])).content.decode()
    assert "Request for review" in case_page and GROUNDS in case_page and "Section 2 was overlooked." in case_page
    assert "Decision to be revised" in case_page

    other = f.officer("LV02")
    log_in_reauthenticated(client, other)
    assert client.get(item.get_absolute_url()).status_code == 404
    assert client.post(item.get_absolute_url(), {"outcome": "upheld", "reason": "No."}).status_code == 404
    assert decision.case.application.number not in client.get(reverse("evaluation:redress_list")).content.decode()


@pytest.mark.django_db
def test_applicant_sees_the_outcome(client, programme):
    officer = f.officer()
    coordinator, decision = _released()
    item = redress.request_review(decision, GROUNDS, coordinator)
    redress.record_outcome(item, RedressStatus.UPHELD, "The scores follow the criteria.", officer)
    client.force_login(coordinator)
    page = client.get(reverse("evaluation:decision", args=[decision.case.application_id])).content.decode()
    assert "Decision upheld" in page and "The scores follow the criteria." in page


# --- parallel requests (PostgreSQL) -------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_give_one_request(programme):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    f.officer()
    coordinator, decision = _released()
    results = run_at_once([lambda n=n: redress.request_review(Decision.objects.get(pk=decision.pk),
                                                              f"{GROUNDS} ({n})", coordinator) for n in range(6)])
    assert len({r.pk for r in results}) == 1
    assert RedressRequest.objects.count() == 1
    assert AuditEvent.objects.filter(verb="request-review", object_type="evaluation.redressrequest").count() == 1
    assert OutgoingMail.objects.filter(kind="evaluation/email/redress_request").count() == 1


# --- accessibility (Chromium, axe) ----------------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_redress_pages_pass_axe(programme, live_server, browser, client):
    from tests.conftest import axe_violations

    impacts = ("minor", "moderate", "serious", "critical")
    officer = f.officer()
    coordinator, decision = _released()
    _other_coordinator, asked = _released()
    item = redress.request_review(asked, GROUNDS, _other_coordinator)

    def open_as(user, path):
        log_in_reauthenticated(client, user)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.goto(live_server.url + path)
        return context, page

    decision_path = reverse("evaluation:decision", args=[decision.case.application_id])
    for user, path in [(coordinator, decision_path), (officer, reverse("evaluation:redress_list")),
                       (officer, item.get_absolute_url()), (officer, reverse("evaluation:case", args=[asked.case_id]))]:
        context, page = open_as(user, path)
        assert page.locator("h1").count() == 1, path
        assert axe_violations(page, impacts=impacts) == [], path
        context.close()
    # Each form sent back with its errors: the error summary and the fields stay accessible.
    context, page = open_as(coordinator, decision_path)
    page.get_by_role("button", name="Ask for a review").click()
    assert page.locator(".error-summary").is_visible()
    assert axe_violations(page, impacts=impacts) == []
    context.close()
    context, page = open_as(officer, item.get_absolute_url())
    page.get_by_role("button", name="Record the outcome").click()
    assert page.locator(".error-summary").is_visible()
    assert axe_violations(page, impacts=impacts) == []
    page.get_by_label("Upheld: the decision stands").check()
    page.get_by_label("Reason").fill("The scores follow the criteria.")
    page.get_by_role("button", name="Record the outcome").click()
    assert page.get_by_text("Decision upheld").first.is_visible()
    context.close()


def test_an_open_request_is_in_the_officers_home_queue_until_decided(client, programme):
    from eplus.home.queues import officer_queue

    officer = f.officer()
    coordinator, decision = _released(days_ago=1)

    def waiting():
        return next(item.count for item in officer_queue(officer) if item.key == "redress")

    assert waiting() == 0
    item = redress.request_review(decision, GROUNDS, coordinator)
    assert waiting() == 1
    log_in_reauthenticated(client, officer)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 request for review to decide" in page and reverse("evaluation:redress_list") in page
    redress.record_outcome(item, RedressStatus.UPHELD, "The scores follow the criteria.", officer)
    assert waiting() == 0
