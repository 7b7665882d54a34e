"""Service-level tests of the back office through the models: formal checks, experts and conflicts,
scoring thresholds at their boundaries, the consolidation trigger, ranking and budget fit."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from eplus.core.models import AuditEvent
from eplus.evaluation import workflow
from eplus.evaluation.agreements import accept_agreement, countersign, upload_signed
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check, rerun_eligibility
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, auto_assign, declare, register_expert
from eplus.evaluation.findings import decide_finding, run_similarity, side_by_side
from eplus.evaluation.ranking import manual_change, run_selection
from eplus.evaluation.workflow import EvaluationError
from eplus.evaluation.models import (
    Assignment, AssignmentRole, Case, CaseState, DecisionStatus, ExpertProfile, FindingStatus, FormalStatus,
    ManualChange, Outcome,
)
from eplus.programme.models import Agency, AgencyMembership

from . import factories as f
from tests.samples import pdf

pytestmark = pytest.mark.django_db


def _case(programme, **kw):
    app = f.submitted(**kw)
    open_cases()
    return Case.objects.get(application=app)


def _eligible(case, officer):
    return confirm_formal_check(case, True, "", officer)


def _expert(agency="LV01", **kw):
    return register_expert(Agency.objects.get(code=agency), email=f.user().email, first_name="E",
                                    last_name="X", languages=kw.get("languages", ["en"]),
                                    sectors=kw.get("sectors", ["VET"])).user


def _score(case, first, second, consolidator=None):
    """Assign two experts, have them declare and submit ``first`` and ``second`` score dicts."""
    officer = f.officer()
    experts = [_expert(), _expert()]
    for expert, role, scores in zip(experts, (AssignmentRole.FIRST, AssignmentRole.SECOND), (first, second), strict=True):
        a = assign(case, expert, role, officer)
        declare(a, True, "", expert)
        save_assessment(a, scores, {k: "Justified." for k in scores}, expert, submit=True)
    case.refresh_from_db()
    return case


def S(relevance, design, partnership, impact):
    return {"relevance": str(relevance), "design": str(design), "partnership": str(partnership),
            "impact": str(impact)}


# --- formal checks ---------------------------------------------------------------------------------------

def test_formal_check_reruns_the_engine_on_the_snapshot_and_needs_a_reason_for_ineligible(programme):
    officer = f.officer()
    case = _case(programme)
    verdict = rerun_eligibility(case)
    assert "eligible" in verdict and verdict["checks"]
    case.refresh_from_db()
    assert case.formal_verdict["checks"] == verdict["checks"]
    with pytest.raises(ValidationError) as exc:
        confirm_formal_check(case, False, "  ", officer)
    assert "reason" in exc.value.message_dict
    confirm_formal_check(case, False, "Partner from a non-associated country.", officer)
    case.refresh_from_db()
    assert case.formal_status == FormalStatus.INELIGIBLE and case.state == CaseState.CLOSED
    event = AuditEvent.objects.filter(object_type="evaluation.case", verb="formal-check").get()
    assert event.reason == "Partner from a non-associated country."


# --- experts -------------------------------------------------------------------------------------------

def test_registered_expert_gets_an_expert_membership_and_must_use_mfa(programme):
    expert = _expert()
    assert AgencyMembership.objects.filter(user=expert, role="expert", active=True).exists()
    assert expert.must_use_mfa


def test_expert_linked_to_a_participating_organisation_is_never_assigned(programme):
    officer = f.officer()
    conflicted = _expert()
    partner = f.organisation("EE", member=conflicted, role="member")
    case = _eligible(_case(programme, partners=[partner, f.organisation("LT")]), officer)
    with pytest.raises(ValidationError) as exc:
        assign(case, conflicted, AssignmentRole.FIRST, officer)
    assert "cannot assess" in str(exc.value)
    clean1, clean2 = _expert(), _expert()
    made, unfilled = auto_assign([case], case.agency, officer)
    assert unfilled == []
    assert {a.expert_id for a in made} == {clean1.pk, clean2.pk}


def test_auto_assign_balances_load_and_prefers_language_and_field(programme):
    officer = f.officer()
    cases = [_eligible(_case(programme, language="lv"), officer) for _ in range(3)]
    lv_vet = [_expert(languages=["lv"], sectors=["VET"]) for _ in range(2)]
    lv_vet.append(_expert(languages=["lv"], sectors=["VET"]))
    other = _expert(languages=["en"], sectors=["SCH"])
    made, unfilled = auto_assign(cases, cases[0].agency, officer)
    assert unfilled == [] and len(made) == 6
    loads = [Assignment.objects.filter(expert=e).count() for e in lv_vet]
    assert sorted(loads) == [2, 2, 2]  # 6 slots shared evenly by the three matching experts
    assert not Assignment.objects.filter(expert=other).exists()
    for case in cases:  # two different people per application
        assert case.assignments.values("expert").distinct().count() == 2


def test_conflict_declaration_gates_the_assessment(programme):
    officer = f.officer()
    case = _eligible(_case(programme), officer)
    expert = _expert()
    a = assign(case, expert, AssignmentRole.FIRST, officer)
    with pytest.raises(EvaluationError):
        save_assessment(a, S(20, 20, 15, 15), {}, expert)
    with pytest.raises(ValidationError):
        declare(a, False, "", expert)  # a conflict needs a description
    declare(a, False, "I advised the applicant last year.", expert)
    a.refresh_from_db()
    assert not a.may_open
    with pytest.raises(EvaluationError):
        save_assessment(a, S(20, 20, 15, 15), {}, expert)


# --- thresholds at their boundaries (through the models) ------------------------------------------------

@pytest.mark.parametrize("scores, fundable", [
    (S("12.5", 20, 15, "12.5"), True),   # 12.5 of 25 is half: fundable, total 60
    (S(12, 21, 15, "12.5"), False),      # 12 of 25 is below half although the total is 60.5
    (S(25, 30, "9.5", 20), False),       # 9.5 of 20 is below 10
    (S("12.5", 17, 10, "12.5"), False),  # every criterion at half but total 52 < 60
    (S(15, 15, 15, 15), True),           # total exactly 60
])
def test_ka220_thresholds_through_the_case(programme, scores, fundable):
    case = _score(_eligible(_case(programme), f.officer()), scores, scores)
    assert case.state == CaseState.SCORED
    assert case.fundable is fundable
    assert case.final_total == sum(Decimal(v) for v in scores.values())


@pytest.mark.parametrize("scores, fundable", [
    (S(15, 15, 10, 20), True),     # 15 of 30 and 10 of 20 are exactly half; total 60
    (S("14.5", 16, 10, 20), False),  # 14.5 of 30 is below half, total 60.5
    (S(15, 15, 10, "19.5"), False),  # total 59.5
])
def test_ka210_thresholds_through_the_case(programme, scores, fundable):
    case = _score(_eligible(_case(programme, action="KA210", lump_sum="60000.00"), f.officer()), scores, scores)
    assert case.fundable is fundable


# --- consolidation -------------------------------------------------------------------------------------

def _with_gap(case, gap):
    """The call states its consolidation gap (``other_rules.consolidation_gap``); scoring has no default."""
    case.call.other_rules = {**case.call.other_rules, "consolidation_gap": gap}
    case.call.save()
    return Case.objects.get(pk=case.pk)


def test_gap_of_30_points_triggers_consolidation_and_29_5_does_not(programme):
    officer = f.officer()
    _with_gap(_case(programme), 30)
    triggered = _score(_eligible(_case(programme), officer), S(25, 30, 20, 25), S(18, 20, 15, 17))  # 100 vs 70
    assert triggered.state == CaseState.CONSOLIDATION and "30" in triggered.consolidation_reason
    assert triggered.final_total is None
    average = _score(_eligible(_case(programme), officer), S(25, 30, 20, 25), S("18.5", 20, 15, 17))  # 29.5
    assert average.state == CaseState.SCORED and average.final_method == "average"


def test_pass_and_fail_triggers_consolidation_and_the_consolidator_decides(programme):
    officer = f.officer()
    case = _score(_eligible(_case(programme), officer), S(15, 20, 15, 15), S(12, 20, 15, 15))  # 65 vs 62
    assert case.state == CaseState.CONSOLIDATION
    assert "fundable" in case.consolidation_reason
    lead = case.assignments.get(role=AssignmentRole.FIRST).expert  # the lead expert consolidates
    a = assign(case, lead, AssignmentRole.CONSOLIDATOR, officer)
    assert a.may_open  # already declared on this application
    save_assessment(a, S(13, 20, 15, 15), {k: "Consolidated." for k in S(0, 0, 0, 0)}, lead, submit=True)
    case.refresh_from_db()
    assert case.state == CaseState.SCORED and case.final_method == "consolidated"
    assert case.final_total == Decimal("63") and case.fundable is True


def test_configurable_gap(programme):
    officer = f.officer()
    case = _with_gap(_eligible(_case(programme), officer), 10)
    case = _score(case, S(25, 30, 20, 25), S(20, 25, 20, 20))  # 100 vs 85
    assert case.state == CaseState.CONSOLIDATION
    plain = _with_gap(_eligible(_case(programme), officer), None)  # the call states no gap
    plain = _score(plain, S(25, 30, 20, 25), S(15, 20, 10, 15))  # 100 vs 60, both fundable
    assert plain.state == CaseState.SCORED and plain.final_total == Decimal("80")


# --- ranking, selection, manual change -----------------------------------------------------------------

def _scored_group(programme, totals_and_sums):
    officer = f.officer()
    cases = []
    for scores, lump in totals_and_sums:
        case = _score(_eligible(_case(programme, lump_sum=lump), officer), scores, scores)
        cases.append(case)
    return officer, cases


def test_selection_within_the_envelope_reserve_and_rejected(programme):
    # LV01 KA220 VET envelope: 839 394 EUR.
    officer, cases = _scored_group(programme, [
        (S(25, 30, 20, 25), "400000.00"),  # 100: selected
        (S(20, 25, 18, 20), "400000.00"),  # 83: selected (800 000 used)
        (S(20, 20, 15, 20), "120000.00"),  # 75: does not fit (39 394 left): reserve
        (S(10, 20, 15, 20), "120000.00"),  # 65 but relevance 10 < 12.5: rejected
    ])
    run, result = run_selection(cases[0].agency, cases[0].call, "VET", officer)
    outcomes = {c.pk: Case.objects.get(pk=c.pk).outcome for c in cases}
    assert [outcomes[c.pk] for c in cases] == [Outcome.SELECTED, Outcome.SELECTED, Outcome.RESERVE,
                                               Outcome.REJECTED]
    assert run.used == Decimal("800000.00") and run.envelope == Decimal("839394.00")
    assert [Case.objects.get(pk=c.pk).rank for c in cases] == [1, 2, 3, 4]

    # Moving the reserve up does not fit: refused; with a reason after freeing money it works and is audited.
    with pytest.raises(ValidationError):
        manual_change(Case.objects.get(pk=cases[2].pk), Outcome.SELECTED, "Strategic", officer)
    with pytest.raises(ValidationError) as exc:
        manual_change(Case.objects.get(pk=cases[1].pk), Outcome.RESERVE, "", officer)
    assert "reason" in str(exc.value)
    manual_change(Case.objects.get(pk=cases[1].pk), Outcome.RESERVE, "Double funding found.", officer)
    manual_change(Case.objects.get(pk=cases[2].pk), Outcome.SELECTED, "Next in line.", officer)
    assert ManualChange.objects.count() == 2
    assert AuditEvent.objects.filter(verb="manual-change", reason="Double funding found.").exists()
    assert Case.objects.get(pk=cases[2].pk).outcome == Outcome.SELECTED


def test_skip_to_fit_selects_the_next_one_that_fits(programme):
    officer, cases = _scored_group(programme, [
        (S(25, 30, 20, 25), "400000.00"),
        (S(20, 25, 18, 20), "400000.00"),
        (S(20, 25, 17, 20), "400000.00"),  # 82: does not fit
        (S(20, 20, 15, 20), "120000.00"),  # 75: does not fit either (39 394 left)
    ])
    run_selection(cases[0].agency, cases[0].call, "VET", officer, skip_to_fit=True)
    assert Case.objects.get(pk=cases[2].pk).outcome == Outcome.RESERVE
    assert Case.objects.get(pk=cases[3].pk).outcome == Outcome.RESERVE


def test_tie_break_on_relevance(programme):
    officer, cases = _scored_group(programme, [
        (S(20, 25, 18, 20), "120000.00"),  # 83, relevance 20
        (S(22, 25, 16, 20), "120000.00"),  # 83, relevance 22: ranks first
    ])
    run_selection(cases[0].agency, cases[0].call, "VET", officer)
    assert Case.objects.get(pk=cases[1].pk).rank == 1 and Case.objects.get(pk=cases[0].pk).rank == 2


def test_selection_waits_for_every_assessment(programme):
    officer = f.officer()
    case = _eligible(_case(programme), officer)
    with pytest.raises(EvaluationError):
        run_selection(case.agency, case.call, "VET", officer)


# --- decisions and similarity --------------------------------------------------------------------------

def test_decisions_are_staged_then_released_together_in_the_recipients_language(programme):
    coordinator = f.user(email_language="lv")
    officer, cases = _scored_group(programme, [(S(25, 30, 20, 25), "120000.00")])
    case = cases[0]
    run_selection(case.agency, case.call, "VET", officer)
    from eplus.organisations.models import Membership

    Membership.objects.create(organisation=case.application.applicant, user=coordinator,
                              role="legal-representative")
    mail.outbox.clear()  # the experts' welcome e-mails
    staged = stage_decisions(case.agency, case.call, "VET", officer)
    assert len(mail.outbox) == 0 and staged[0].language == "lv"
    assert staged[0].recipients == [coordinator.email]
    assert "Justified." in staged[0].body
    release(staged, officer)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [coordinator.email]
    case.refresh_from_db()
    assert case.decision_status == DecisionStatus.RELEASED
    assert case.agreement.lump_sum == Decimal("120000.00")
    with pytest.raises(EvaluationError):
        manual_change(case, Outcome.RESERVE, "Too late", officer)


def test_similarity_across_agencies_with_decision(programme):
    text = ("We will train welding teachers with virtual reality simulators and share the lesson plans with all "
            "vocational schools of the region in an open repository. ") * 3
    officer = f.officer()
    a = f.submitted(text=text)
    b = f.submitted(text=text, agency="LV02", sector="YOU")
    f.submitted()
    call = a.call
    findings = run_similarity(call.deadline, user=officer)
    assert len(findings) == 1
    finding = findings[0]
    assert {finding.case_a.application_id, finding.case_b.application_id} == {a.pk, b.pk}
    assert finding.jaccard >= Decimal("0.8")
    pieces_a, pieces_b, passages = side_by_side(finding)
    assert passages and any(shared for _seg, shared in pieces_a)
    with pytest.raises(ValidationError):
        decide_finding(finding, FindingStatus.CONFIRMED, "", officer)
    decide_finding(finding, FindingStatus.CONFIRMED, "Same consortium applied twice.", officer)
    assert run_similarity(call.deadline)[0].status == FindingStatus.CONFIRMED  # decisions kept


def test_expert_profile_languages_are_normalised(programme):
    expert = _expert(languages=["EN ", "lv"])
    assert ExpertProfile.objects.get(user=expert).languages == ["en", "lv"]


# --- grant agreement -> project --------------------------------------------------------------------------

def test_agreement_accepted_countersigned_creates_the_project(programme, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eplus.projects.models import Project

    coordinator = f.user()
    app = f.submitted(coordinator=coordinator, lump_sum="250000.00")
    open_cases()
    case = Case.objects.get(application=app)
    officer = f.officer()
    confirm_formal_check(case, True, "", officer)
    case = _score(case, S(20, 25, 18, 20), S(20, 25, 18, 20))
    run_selection(case.agency, case.call, "VET", officer)
    with django_capture_on_commit_callbacks(execute=True):
        release(stage_decisions(case.agency, case.call, "VET", officer), officer)
    agreement = Case.objects.get(pk=case.pk).agreement
    assert agreement.pdf and agreement.sha256  # rendered by the task
    assert agreement.start_date.isoformat() == "2026-09-01" and agreement.end_date.isoformat() == "2028-08-31"
    with pytest.raises(EvaluationError):  # only the coordinator's managers sign
        accept_agreement(agreement, f.user())
    with pytest.raises(ValidationError):  # a signed upload must really be a PDF
        upload_signed(agreement, SimpleUploadedFile("signed.pdf", b"not a pdf at all"), coordinator)
    with pytest.raises(workflow.TransitionRefused):
        countersign(agreement, officer)  # not accepted yet
    upload_signed(agreement, SimpleUploadedFile("signed.pdf", pdf(b"signed")), coordinator)
    project = countersign(agreement, officer)
    agreement.refresh_from_db()
    assert agreement.project_id == project.pk and agreement.status == "countersigned"
    project = Project.objects.get(application=app)
    assert project.lump_sum == Decimal("250000.00") and project.title == app.title
    assert project.payments.count() >= 2
    from eplus.results.models import ProjectCard

    assert ProjectCard.objects.filter(identifier=project.number).exists()
