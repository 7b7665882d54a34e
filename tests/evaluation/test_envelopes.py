"""Budget envelopes in the workspace (issue 13, item 2): administrators set and change them and move money
between them as recorded movements; officers read; another agency gets a 404; a transfer keeps the total of
both envelopes and never takes more than is left; the ranking page's what-if saves nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eplus.core.models import AuditEvent
from eplus.evaluation import envelopes
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AssignmentRole, Case, EnvelopeMovement, Outcome, SelectionRun
from eplus.evaluation.ranking import run_selection
from eplus.evaluation.workflow import EvaluationError
from eplus.programme.models import Agency, AgencyMembership, BudgetEnvelope

from . import factories as f

pytestmark = pytest.mark.django_db
GOOD = f.GOOD_SCORES


def admin(agency="LV01"):
    person = f.with_mfa(f.user())
    AgencyMembership.objects.create(user=person, agency=Agency.objects.get(code=agency), role="admin")
    return person


def envelope(action="KA220", sector="VET"):
    return BudgetEnvelope.objects.select_related("agency", "call__action").get(
        agency__code="LV01", call__year=2026, call__action__code=action, call__round=1, sector=sector)


def scored(officer, **kw):
    case = f.opened_case(**kw)
    confirm_formal_check(case, True, "", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        expert = f.expert()
        a = declare(assign(case, expert, role, officer), True, "", expert)
        save_assessment(a, GOOD, {k: "ok" for k in GOOD}, expert, submit=True)
    return Case.objects.get(pk=case.pk)


# --- pages: who may do what ------------------------------------------------------------------------------

def test_admin_sets_an_envelope_via_the_page_and_changes_it_with_a_reason(client, programme):
    boss = admin()
    client.force_login(boss)
    call = f.call("KA220")
    page = reverse("evaluation:envelope_new")
    form = client.get(page + f"?call={call.pk}&sector=SCH")
    assert form.status_code == 200 and f'value="{call.pk}" selected' in form.content.decode()

    bad = client.post(page, {"agency": Agency.objects.get(code="LV01").pk, "call": call.pk, "sector": "SCH",
                             "amount": "-5", "reason": "Work programme 2026"})
    assert bad.status_code == 400 and "error-summary" in bad.content.decode()
    assert not BudgetEnvelope.objects.filter(call=call, sector="SCH").exists()

    done = client.post(page, {"agency": Agency.objects.get(code="LV01").pk, "call": call.pk, "sector": "SCH",
                              "amount": "500000.00", "reason": "Work programme 2026"})
    created = BudgetEnvelope.objects.get(agency__code="LV01", call=call, sector="SCH")
    assert done.status_code == 302 and done["Location"] == reverse("evaluation:envelope", args=[created.pk])
    assert created.amount == Decimal("500000.00") and created.source == "Work programme 2026"
    assert AuditEvent.objects.filter(object_type="programme.budgetenvelope", object_id=str(created.pk),
                                     action="create", verb="set-envelope", actor=boss).exists()

    again = client.post(page, {"agency": created.agency_id, "call": call.pk, "sector": "SCH", "amount": "1"})
    assert again.status_code == 400 and "already has an envelope" in again.content.decode()

    detail = reverse("evaluation:envelope", args=[created.pk])
    no_reason = client.post(detail, {"amount": "450000.00", "reason": ""})
    body = no_reason.content.decode()
    assert no_reason.status_code == 400 and "error-summary" in body and 'value="450000.00"' in body
    assert client.post(detail, {"amount": "450000.00", "reason": "Budget cut by the ministry."}).status_code == 302
    created.refresh_from_db()
    assert created.amount == Decimal("450000.00")
    event = AuditEvent.objects.filter(object_id=str(created.pk), verb="set-envelope", action="update").get()
    assert event.reason == "Budget cut by the ministry." and event.changes["amount"] == ["500000.00", "450000.00"]
    listing = client.get(reverse("evaluation:envelopes")).content.decode()
    assert "450000.00" in listing and "Add an envelope" in listing


def test_officer_reads_envelopes_but_cannot_change_them(client, programme):
    officer = f.officer()
    client.force_login(officer)
    target = envelope()
    listing = client.get(reverse("evaluation:envelopes"))
    assert listing.status_code == 200 and "839394.00" in listing.content.decode()
    assert "Add an envelope" not in listing.content.decode()
    detail = reverse("evaluation:envelope", args=[target.pk])
    page = client.get(detail).content.decode()
    assert "839394.00" in page and "Change the amount" not in page
    assert client.post(detail, {"amount": "1.00", "reason": "Mine now."}).status_code == 403
    assert client.get(reverse("evaluation:envelope_new")).status_code == 404
    assert client.post(reverse("evaluation:envelope_transfer"), {
        "source": target.pk, "target": envelope("KA210").pk, "amount": "1", "reason": "x"}).status_code == 404
    target.refresh_from_db()
    assert target.amount == Decimal("839394.00") and not EnvelopeMovement.objects.exists()
    with pytest.raises(EvaluationError):
        envelopes.set_envelope(target.agency, target.call, "VET", "1.00", officer, reason="Not allowed.")
    with pytest.raises(EvaluationError):
        envelopes.transfer(target, envelope("KA210"), "1.00", "Not allowed.", officer)


def test_another_agency_gets_404_and_cannot_move_its_money(client, programme):
    target, other = envelope(), envelope("KA210")
    stranger = admin("LV02")
    client.force_login(stranger)
    detail = reverse("evaluation:envelope", args=[target.pk])
    assert client.get(detail).status_code == 404
    assert client.post(detail, {"amount": "1.00", "reason": "Mine now."}).status_code == 404
    assert "839394.00" not in client.get(reverse("evaluation:envelopes")).content.decode()
    refused = client.post(reverse("evaluation:envelope_transfer"), {
        "source": target.pk, "target": other.pk, "amount": "1000.00", "reason": "Mine now."})
    assert refused.status_code == 400 and not EnvelopeMovement.objects.exists()
    with pytest.raises(EvaluationError):
        envelopes.transfer(target, other, "1000.00", "Mine now.", stranger)
    with pytest.raises(EvaluationError):
        envelopes.set_envelope(target.agency, target.call, "VET", "1.00", stranger, reason="Mine now.")
    target.refresh_from_db()
    assert target.amount == Decimal("839394.00")


# --- transfers ---------------------------------------------------------------------------------------------

def test_a_transfer_keeps_the_total_of_both_envelopes_and_is_audited(client, programme):
    boss = admin()
    source, target = envelope("KA210"), envelope("KA220")
    before = envelopes.figures(source).current + envelopes.figures(target).current
    client.force_login(boss)
    page = reverse("evaluation:envelope_transfer")
    assert client.get(page + f"?source={source.pk}").status_code == 200
    done = client.post(page, {"source": source.pk, "target": target.pk, "amount": "50000.00",
                              "reason": "Round 1 KA210 under-subscribed."})
    assert done.status_code == 302
    after_source, after_target = envelopes.figures(source), envelopes.figures(target)
    assert after_source.current == Decimal("202475.00") and after_target.current == Decimal("889394.00")
    assert after_source.current + after_target.current == before
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.amount, target.amount) == (Decimal("252475.00"), Decimal("839394.00"))  # set amounts unchanged
    movement = EnvelopeMovement.objects.get()
    assert (movement.source, movement.target, movement.amount, movement.moved_by) == (
        source, target, Decimal("50000.00"), boss)
    assert AuditEvent.objects.filter(object_type="evaluation.envelopemovement", object_id=str(movement.pk),
                                     verb="transfer-envelope", reason="Round 1 KA210 under-subscribed.").exists()
    assert AuditEvent.objects.filter(object_id=str(source.pk), object_type="programme.budgetenvelope",
                                     verb="transfer-out").get().changes["current"] == ["252475.00", "202475.00"]
    assert AuditEvent.objects.filter(object_id=str(target.pk), object_type="programme.budgetenvelope",
                                     verb="transfer-in").get().changes["current"] == ["839394.00", "889394.00"]
    listing = client.get(reverse("evaluation:envelopes")).content.decode()
    assert "Round 1 KA210 under-subscribed." in listing and "202475.00" in listing
    # The ranking works within what the envelope holds now.
    assert "889394.00" in client.get(reverse("evaluation:envelope", args=[target.pk])).content.decode()


def test_a_transfer_over_what_is_left_is_refused_with_a_clear_message(client, programme):
    officer, boss = f.officer(), admin()
    case = scored(officer, lump_sum="400000.00")
    run_selection(case.agency, case.call, "VET", officer)
    source, target = envelope("KA220"), envelope("KA210")
    assert envelopes.figures(source).committed == Decimal("400000.00")
    assert envelopes.figures(source).left == Decimal("439394.00")
    client.force_login(boss)
    refused = client.post(reverse("evaluation:envelope_transfer"), {
        "source": source.pk, "target": target.pk, "amount": "439394.01", "reason": "Move the rest."})
    body = refused.content.decode()
    assert refused.status_code == 400 and "error-summary" in body
    assert "439\u202f394.00 EUR left" in body and 'value="439394.01"' in body
    assert not EnvelopeMovement.objects.exists()
    envelopes.transfer(source, target, "439394.00", "Move the rest.", boss)  # exactly what is left: allowed
    assert envelopes.figures(source).left == Decimal("0.00")
    with pytest.raises(ValidationError, match="amount"):
        envelopes.set_envelope(source.agency, source.call, "VET", "800000.00", boss, reason="Lower it.")


def test_transfer_and_setting_refuse_bad_input(programme):
    boss = admin()
    source, target = envelope("KA210"), envelope("KA220")
    for amount in ("0", "-1", "abc", "10000000.01"):
        with pytest.raises(ValidationError):
            envelopes.transfer(source, target, amount, "Why not.", boss)
    with pytest.raises(ValidationError):
        envelopes.transfer(source, target, "10.00", "   ", boss)
    with pytest.raises(ValidationError):
        envelopes.transfer(source, source, "10.00", "Same one.", boss)
    with pytest.raises(ValidationError):
        envelopes.set_envelope(source.agency, f.call("KA240"), "VET", "10.00", boss)  # KA240 has no VET
    with pytest.raises(ValidationError):
        envelopes.set_envelope(source.agency, f.call("KA220"), "YOU", "10.00", boss)  # LV01 has no youth
    with pytest.raises(ValidationError):
        envelopes.set_envelope(source.agency, source.call, "VET", "252475.00", boss, reason="Same amount.")
    assert not EnvelopeMovement.objects.exists()


# --- the ranking page ------------------------------------------------------------------------------------

def test_ranking_page_shows_the_envelope_and_links_to_it_when_missing(client, programme):
    officer, boss = f.officer(), admin()
    case = scored(officer, lump_sum="400000.00")
    run_selection(case.agency, case.call, "VET", officer)
    client.force_login(officer)
    body = client.get(reverse("evaluation:ranking", args=[case.call_id, "VET"])).content.decode()
    assert "839394.00 EUR" in body and "400000.00 EUR" in body and "439394.00 EUR" in body

    school = f.opened_case(sector="SCH")
    url = reverse("evaluation:ranking", args=[school.call_id, "SCH"])
    body = client.get(url).content.decode()
    assert "No budget envelope is set" in body and reverse("evaluation:envelopes") in body
    assert reverse("evaluation:envelope_new") not in body
    client.force_login(boss)
    body = client.get(url).content.decode()
    assert reverse("evaluation:envelope_new") + f"?call={school.call_id}&amp;sector=SCH" in body


def test_what_if_shows_the_selection_and_changes_nothing(client, programme):
    officer = f.officer()
    first = scored(officer, lump_sum="400000.00")
    second = scored(officer, lump_sum="400000.00")
    client.force_login(officer)
    url = reverse("evaluation:ranking", args=[first.call_id, "VET"])
    counts = (AuditEvent.objects.count(), SelectionRun.objects.count(), EnvelopeMovement.objects.count())
    outcomes = list(Case.objects.order_by("pk").values_list("outcome", "rank"))

    page = client.get(url, {"preview": "1", "whatif-amount": "500000.00", "whatif-reserve_size": "5"})
    body = page.content.decode()
    assert page.status_code == 200 and "Would be selected (1)" in body and "Would be on the reserve list (1)" in body
    assert "With 500000.00 EUR: 400000.00 EUR would be committed and 100000.00 EUR left." in body
    everything = client.get(url, {"preview": "1"}).content.decode()  # the envelope as it is: both fit
    assert "Would be selected (2)" in everything and second.application.number in everything
    assert "Would be on the reserve list (0)" in everything
    assert (AuditEvent.objects.count(), SelectionRun.objects.count(), EnvelopeMovement.objects.count()) == counts
    assert list(Case.objects.order_by("pk").values_list("outcome", "rank")) == outcomes
    assert all(o == Outcome.NONE for o, _rank in outcomes)

    wrong = client.get(url, {"preview": "1", "whatif-amount": "-3", "whatif-reserve_size": "x"})
    assert wrong.status_code == 400 and "error-summary" in wrong.content.decode()
    assert (AuditEvent.objects.count(), SelectionRun.objects.count()) == counts[:2]

    # Then the run stages as before, with the reserve size asked for.
    assert client.post(url, {"reserve_size": "0"}).status_code == 302
    assert SelectionRun.objects.count() == 1
    assert client.post(url, {"reserve_size": "-1"}).status_code == 400


def test_what_if_without_an_envelope_needs_an_amount(client, programme):
    officer = f.officer()
    school = f.opened_case(sector="SCH")
    client.force_login(officer)
    url = reverse("evaluation:ranking", args=[school.call_id, "SCH"])
    missing = client.get(url, {"preview": "1"})
    assert missing.status_code == 400 and "No budget envelope is set" in missing.content.decode()
    typed = client.get(url, {"preview": "1", "whatif-amount": "100000"}).content.decode()
    assert "1 application is not scored yet and is not in the preview." in typed


def test_envelope_list_does_not_grow_in_queries_with_envelopes(client, programme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    boss = admin()
    client.force_login(boss)
    url = reverse("evaluation:envelopes")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    queries()
    first = queries()
    agency = Agency.objects.get(code="LV01")
    for sector in ("SCH", "ADU", "HED"):
        envelopes.set_envelope(agency, f.call("KA220"), sector, "1000.00", boss)
    envelopes.transfer(envelope("KA210"), envelope("KA220"), "10.00", "Test.", boss)
    assert queries() == first


def test_the_demo_has_envelopes_for_the_calls_it_opens(programme):
    from eplus.demo.loader import load_demo
    from eplus.programme.models import Call

    load_demo()
    open_calls = Call.objects.filter(deadline__gt=f.now(), action__managing_agency__isnull=True)
    assert open_calls.exists()
    for call in open_calls:
        assert BudgetEnvelope.objects.filter(agency__code="LV01", call=call).exists(), call
    count = BudgetEnvelope.objects.count()
    load_demo()
    assert BudgetEnvelope.objects.count() == count


# --- at the same moment (real PostgreSQL transactions in threads) ----------------------------------------

def _postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _attempt(source_pk, target_pk, amount, by):
    def run():
        source, target = BudgetEnvelope.objects.get(pk=source_pk), BudgetEnvelope.objects.get(pk=target_pk)
        try:
            return envelopes.transfer(source, target, amount, "At the same moment.", by).pk
        except ValidationError:
            return "refused"
    return run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_transfers_never_overdraw_an_envelope(programme):
    from tests.concurrency import run_at_once

    _postgres()
    boss = admin()
    source, target = envelope("KA210"), envelope("KA220")  # 252 475 EUR in the source
    results = run_at_once([_attempt(source.pk, target.pk, "200000.00", boss) for _ in range(3)])
    assert sorted(r == "refused" for r in results) == [False, True, True]
    assert envelopes.figures(source).current == Decimal("52475.00")
    assert envelopes.figures(target).current == Decimal("1039394.00")
    assert EnvelopeMovement.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_transfers_at_once_do_not_deadlock_and_keep_the_total(programme):
    from tests.concurrency import run_at_once

    _postgres()
    boss = admin()
    a, b = envelope("KA210"), envelope("KA220")
    total = envelopes.figures(a).current + envelopes.figures(b).current
    calls = [_attempt(a.pk, b.pk, "1000.00", boss), _attempt(b.pk, a.pk, "3000.00", boss)] * 3
    assert "refused" not in run_at_once(calls)
    assert envelopes.figures(a).current == Decimal("258475.00")
    assert envelopes.figures(a).current + envelopes.figures(b).current == total


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transfer_and_a_selection_at_once_never_commit_more_than_the_envelope(programme):
    from tests.concurrency import run_at_once

    _postgres()
    officer, boss = f.officer(), admin()
    for _ in range(2):
        scored(officer, lump_sum="400000.00")
    source, target = envelope("KA220"), envelope("KA210")
    case = Case.objects.select_related("agency", "call").first()
    results = run_at_once([
        lambda: run_selection(case.agency, case.call, "VET", officer)[0].used,
        _attempt(source.pk, target.pk, "100000.00", boss),
    ])
    figures = envelopes.figures(source)
    assert figures.committed <= figures.current
    # Either the transfer went first (one application fits the 739 394 EUR left) or the selection did
    # (both are selected and the 39 394 EUR left cannot give 100 000).
    assert (results[0], results[1] == "refused") in ((Decimal("400000.00"), False), (Decimal("800000.00"), True))
