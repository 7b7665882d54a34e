"""After the release (issue 13, item 8): a selected applicant declines the grant, which frees its money in the
envelope; the officer selects from the reserve list in rank order what now fits, and that decision is staged
and released like the first ones. Reserve selection never exceeds the envelope."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eplus.core.models import AuditEvent
from eplus.evaluation import envelopes
from eplus.evaluation.agreements import accept_agreement, countersign
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import decline_grant, release, reserve_list, select_from_reserve, stage_decisions
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import (
    AgreementStatus, AssignmentRole, Case, Decision, DecisionStatus, GrantAgreement, ManualChange, Outcome,
)
from eplus.evaluation.ranking import run_selection
from eplus.evaluation.workflow import EvaluationError, TransitionRefused
from tests.organisations.conftest import mark_reauthenticated

from . import factories as f

pytestmark = pytest.mark.django_db
TOP = {"relevance": "25", "design": "30", "partnership": "20", "impact": "25"}  # 100
GOOD = f.GOOD_SCORES  # 80
FAIR = {"relevance": "20", "design": "20", "partnership": "15", "impact": "20"}  # 75


def _scored(officer, scores, **kw):
    case = f.opened_case(**kw)
    confirm_formal_check(case, True, "", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        expert = f.expert()
        a = declare(assign(case, expert, role, officer), True, "", expert)
        save_assessment(a, scores, {k: "ok" for k in scores}, expert, submit=True)
    return Case.objects.get(pk=case.pk)


def _released_group():
    """LV01 KA220 VET (839 394 EUR): two of 400 000 selected, two of 250 000 on the reserve list."""
    officer, coordinator = f.officer(), f.user()
    first = _scored(officer, TOP, lump_sum="400000.00", coordinator=coordinator)
    second = _scored(officer, GOOD, lump_sum="400000.00")
    reserve_one = _scored(officer, FAIR, lump_sum="250000.00")
    reserve_two = _scored(officer, {**FAIR, "impact": "19"}, lump_sum="250000.00")
    run_selection(first.agency, first.call, "VET", officer)
    release(stage_decisions(first.agency, first.call, "VET", officer), officer)
    cases = [Case.objects.get(pk=c.pk) for c in (first, second, reserve_one, reserve_two)]
    assert [c.outcome for c in cases] == [Outcome.SELECTED, Outcome.SELECTED, Outcome.RESERVE, Outcome.RESERVE]
    return officer, coordinator, cases


def _envelope(case):
    return envelopes.figures(envelopes.find(case.agency, case.call, case.sector))


def test_declining_frees_the_money_and_the_first_reserve_that_fits_is_selected_and_released(programme):
    officer, coordinator, (first, second, reserve_one, reserve_two) = _released_group()
    assert _envelope(first).left == Decimal("39394.00")
    left, rows = reserve_list(first.agency, first.call, "VET")
    assert left == Decimal("39394.00") and [(c.pk, fits) for c, fits in rows] == [
        (reserve_one.pk, False), (reserve_two.pk, False)]
    with pytest.raises(EvaluationError, match="39\u202f394.00 EUR left"):
        select_from_reserve(reserve_one, officer)

    decline_grant(first, "The coordinator closes its training department.", coordinator)
    assert Case.objects.get(pk=first.pk).outcome == Outcome.DECLINED
    agreement = GrantAgreement.objects.get(case=first)
    assert agreement.status == AgreementStatus.DECLINED and agreement.declined_by == coordinator
    with pytest.raises(TransitionRefused):
        accept_agreement(agreement, coordinator)
    assert AuditEvent.objects.filter(verb="decline-grant", reason__startswith="The coordinator closes").count() == 2
    assert _envelope(first).committed == Decimal("400000.00") and _envelope(first).left == Decimal("439394.00")
    assert decline_grant(first, "Again.", coordinator).outcome == Outcome.DECLINED  # a second click: nothing new

    left, rows = reserve_list(first.agency, first.call, "VET")
    assert [(c.pk, fits) for c, fits in rows] == [(reserve_one.pk, True), (reserve_two.pk, True)]
    with pytest.raises(ValidationError, match="ranks higher"):  # passing over the first reserve needs a reason
        select_from_reserve(reserve_two, officer)
    decision = select_from_reserve(reserve_one, officer)
    assert decision.status == DecisionStatus.STAGED and decision.outcome == Outcome.SELECTED
    assert ManualChange.objects.filter(case=reserve_one, new_outcome=Outcome.SELECTED).exists()
    assert _envelope(first).committed == Decimal("650000.00")
    # Now only 189 394 EUR are left: the second reserve no longer fits.
    with pytest.raises(EvaluationError, match="189\u202f394.00 EUR left"):
        select_from_reserve(reserve_two, officer, "Strategic")
    with pytest.raises(EvaluationError):
        select_from_reserve(reserve_one, officer)  # already selected

    released = release([Decision.objects.get(case=reserve_one)], officer)
    assert len(released) == 1
    assert GrantAgreement.objects.get(case=reserve_one).status == AgreementStatus.ISSUED
    assert Case.objects.get(pk=reserve_one.pk).decision_status == DecisionStatus.RELEASED


def test_reserve_selection_never_exceeds_the_envelope(programme):
    officer, coordinator, (first, second, reserve_one, reserve_two) = _released_group()
    decline_grant(first, "Cannot start.", coordinator)
    select_from_reserve(reserve_one, officer)
    for candidate in (reserve_two,):
        with pytest.raises(EvaluationError):
            select_from_reserve(candidate, officer, "Try anyway.")
    figures = _envelope(first)
    assert figures.committed <= figures.current
    # Money moved in makes the next one fit; moving it out again is refused while it is committed.
    boss = f.with_mfa(f.user())
    from eplus.programme.models import AgencyMembership

    AgencyMembership.objects.create(user=boss, agency=first.agency, role="admin")
    ka210 = envelopes.find(first.agency, f.call("KA210"), "VET")
    source = envelopes.find(first.agency, first.call, "VET")
    envelopes.transfer(ka210, source, "60606.00", "Round 1 KA210 money left over.", boss)
    select_from_reserve(reserve_two, officer)
    figures = _envelope(first)
    assert figures.committed == Decimal("900000.00") and figures.left == Decimal("0.00")
    with pytest.raises(ValidationError):
        envelopes.transfer(source, ka210, "0.01", "Back.", boss)


def test_only_the_coordinator_declines_and_not_after_countersignature(programme):
    officer, coordinator, (first, second, *_reserves) = _released_group()
    with pytest.raises(EvaluationError):
        decline_grant(first, "Not mine.", f.user())
    with pytest.raises(ValidationError):
        decline_grant(first, "  ", coordinator)
    agreement = GrantAgreement.objects.get(case=first)
    accept_agreement(agreement, coordinator)
    countersign(GrantAgreement.objects.get(pk=agreement.pk), officer)
    with pytest.raises(EvaluationError, match="countersigned"):
        decline_grant(first, "Too late.", coordinator)
    assert Case.objects.get(pk=first.pk).outcome == Outcome.SELECTED


def test_pages_decline_then_select_from_the_reserve_list(client, programme):
    officer, coordinator, (first, second, reserve_one, reserve_two) = _released_group()
    client.force_login(coordinator)
    page = reverse("evaluation:decision", args=[first.application_id])
    before = client.get(page).content.decode()
    assert "Confirm your identity to decline the grant" in before and 'name="confirm"' not in before
    mark_reauthenticated(client, coordinator)
    assert 'name="confirm"' in client.get(page).content.decode()
    url = reverse("evaluation:decline_grant", args=[first.application_id])
    refused = client.post(url, {"reason": "We cannot start."})  # the confirmation is missing
    assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    assert "We cannot start." in refused.content.decode()
    assert client.post(url, {"reason": "We cannot start.", "confirm": "on"}).status_code == 302
    assert Case.objects.get(pk=first.pk).outcome == Outcome.DECLINED
    assert "The grant was declined on" in client.get(page).content.decode()
    again = client.post(reverse("evaluation:decline_grant", args=[second.application_id]),
                        {"reason": "Not mine.", "confirm": "on"})
    assert again.status_code == 404  # not the coordinator's application

    client.force_login(officer)
    ranking = reverse("evaluation:ranking", args=[first.call_id, "VET"])
    body = client.get(ranking).content.decode()
    assert "Reserve list after the release" in body and "439394.00 EUR left" in body
    assert "Declined by the applicant" in body
    skip = client.post(reverse("evaluation:select_reserve", args=[first.call_id, "VET", reserve_two.pk]), {})
    assert skip.status_code == 400 and "ranks higher" in skip.content.decode()
    done = client.post(reverse("evaluation:select_reserve", args=[first.call_id, "VET", reserve_one.pk]), {})
    assert done.status_code == 302 and done["Location"] == reverse("evaluation:outbox")
    staged = Decision.objects.get(case=reserve_one)
    assert staged.status == DecisionStatus.STAGED
    assert client.post(reverse("evaluation:outbox"), {"decision": [str(staged.pk)]}).status_code == 302
    assert GrantAgreement.objects.filter(case=reserve_one).exists()
    over = client.post(reverse("evaluation:select_reserve", args=[first.call_id, "VET", reserve_two.pk]),
                       {"reason": "Strategic"})
    assert over.status_code == 400 and "EUR left" in over.content.decode()
    assert Case.objects.get(pk=reserve_two.pk).outcome == Outcome.RESERVE


def _mail_to(mailoutbox, address, fragment):
    return [m for m in mailoutbox if address in m.to and fragment in m.subject]


def test_a_declined_grant_tells_the_agency_staff_in_their_language(programme, mailoutbox):
    from eplus.programme.models import AgencyMembership

    officer, coordinator, (first, *_rest) = _released_group()
    officer.email_language = "lv"
    officer.save()
    mailoutbox.clear()
    decline_grant(first, "We cannot start.", coordinator)
    staff = AgencyMembership.objects.filter(agency=first.agency, role__in=AgencyMembership.STAFF_ROLES, active=True)
    told = [m for m in mailoutbox if first.application.number in m.subject and m.to[0] != coordinator.email]
    assert sorted(m.to[0] for m in told) == sorted(staff.values_list("user__email", flat=True))
    mine = next(m for m in told if m.to == [officer.email])
    assert "We cannot start." in mine.body and f"/agency/ranking/{first.call_id}/VET/" in mine.body
    from django.utils import translation

    with translation.override("lv"):
        from django.utils.translation import gettext

        assert gettext("Reason given by the coordinator:") in mine.body


def test_a_reduced_grant_frees_money_and_goes_back_to_the_coordinator(programme, mailoutbox):
    officer, coordinator, (first, second, reserve_one, _two) = _released_group()
    agreement = GrantAgreement.objects.get(case=first)
    accept_agreement(agreement, coordinator)
    from eplus.evaluation.decisions import reduce_grant

    with pytest.raises(ValidationError, match="fixed lump sums"):  # KA220: 120 000, 250 000 or 400 000
        reduce_grant(first, "300000.00", "Two partners are not eligible.", officer)
    with pytest.raises(ValidationError, match="below the present grant"):
        reduce_grant(first, "500000.00", "More.", officer)
    with pytest.raises(ValidationError, match="reason"):
        reduce_grant(first, "250000.00", "", officer)
    mailoutbox.clear()
    reduced = reduce_grant(first, "250000.00", "Two partners are not eligible.", officer)
    assert reduced.lump_sum == Decimal("250000.00") and reduced.status == AgreementStatus.ISSUED
    assert reduced.accepted_at is None
    assert AuditEvent.objects.filter(verb="reduce-grant", reason="Two partners are not eligible.").exists()
    assert _envelope(first).committed == Decimal("650000.00") and _envelope(first).left == Decimal("189394.00")
    letter = _mail_to(mailoutbox, coordinator.email, first.application.number)
    assert letter and "250 000.00 EUR" in letter[0].body.replace("\u202f", " ").replace("\xa0", " ")
    assert "accept it again" in letter[0].body
    assert reduce_grant(first, "250000.00", "Again.", officer).lump_sum == Decimal("250000.00")  # nothing new
    assert AuditEvent.objects.filter(verb="reduce-grant").count() == 1
    # The reserve list sees the freed money (not yet enough for 250 000); the project gets the new amount.
    left, rows = reserve_list(first.agency, first.call, "VET")
    assert left == Decimal("189394.00") and [fits for _case, fits in rows] == [False, False]
    accept_agreement(GrantAgreement.objects.get(pk=agreement.pk), coordinator)
    project = countersign(GrantAgreement.objects.get(pk=agreement.pk), officer)
    assert project.lump_sum == Decimal("250000.00")
    with pytest.raises(EvaluationError, match="countersigned"):
        reduce_grant(first, "120000.00", "Later.", officer)


def test_a_project_terminated_after_countersignature_keeps_only_what_was_paid(programme):
    from eplus.projects.models import PaymentStatus
    from eplus.projects import termination

    officer, coordinator, (first, *_rest) = _released_group()
    agreement = GrantAgreement.objects.get(case=first)
    accept_agreement(agreement, coordinator)
    project = countersign(GrantAgreement.objects.get(pk=agreement.pk), officer)
    assert _envelope(first).committed == Decimal("800000.00")
    prefinancing = project.payments.order_by("sequence").first()
    prefinancing.status = PaymentStatus.PAID
    prefinancing.save()
    notice = termination.send_notice(project, officer, "The coordinator withdrew from the project.")
    termination.answer_notice(notice, coordinator, "", agrees=True)
    termination.confirm_termination(notice, officer, "without-costs")
    assert _envelope(first).committed == Decimal("400000.00") + prefinancing.amount
    assert _envelope(first).left == Decimal("439394.00") - prefinancing.amount
