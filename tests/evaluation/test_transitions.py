"""Every transition is idempotent (a second identical call changes nothing and sends nothing twice) and
refuses clearly what is not possible; the read side filters as the workspace asks."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.core.models import AuditEvent
from eplus.evaluation.agreements import accept_agreement, countersign, issue_agreement, render_agreement, upload_signed
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_case, open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.findings import decide_finding, run_similarity
from eplus.evaluation.models import (
    AgreementStatus, AssignmentRole, Case, CaseState, Decision, FindingStatus, GrantAgreement, Outcome,
)
from eplus.evaluation.queries import workspace_cases
from eplus.evaluation.ranking import run_selection
from eplus.evaluation.rules import officer_cases
from eplus.evaluation.workflow import EvaluationError
from eplus.programme.models import Agency

from . import factories as f
from tests.samples import pdf

pytestmark = pytest.mark.django_db
GOOD = f.GOOD_SCORES


def _selected(coordinator):
    officer = f.officer()
    case = f.opened_case(coordinator=coordinator, lump_sum="120000.00")
    confirm_formal_check(case, True, "", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        expert = f.expert()
        a = declare(assign(case, expert, role, officer), True, "", expert)
        save_assessment(a, GOOD, {k: "ok" for k in GOOD}, expert, submit=True)
    run_selection(case.agency, case.call, "VET", officer)
    return Case.objects.get(pk=case.pk), officer


def test_opening_a_case_twice_returns_the_first(programme):
    case = f.opened_case()
    again, created = open_case(case.application)
    assert again.pk == case.pk and created is False
    assert open_cases() == []


def test_the_formal_check_recorded_twice_is_audited_once(programme):
    officer = f.officer()
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    confirm_formal_check(case, True, "", officer)
    assert AuditEvent.objects.filter(object_type="evaluation.case", verb="formal-check").count() == 1


def test_assigning_the_same_expert_twice_returns_the_assignment_and_refusals_say_why(programme):
    officer = f.officer()
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    expert = f.expert()
    first = assign(case, expert, AssignmentRole.FIRST, officer)
    assert assign(case, expert, AssignmentRole.FIRST, officer).pk == first.pk
    with pytest.raises(ValidationError, match="already assesses"):
        assign(case, expert, AssignmentRole.SECOND, officer)
    with pytest.raises(ValidationError, match="only when the two assessments"):
        assign(case, f.expert(), AssignmentRole.CONSOLIDATOR, officer)
    with pytest.raises(ValidationError, match="Choose the first"):
        assign(case, f.expert(), "chair", officer)
    with pytest.raises(ValidationError, match="not a registered expert"):
        assign(case, f.user(), AssignmentRole.SECOND, officer)
    with pytest.raises(EvaluationError, match="Only the assigned expert"):
        declare(first, True, "", f.user())
    declare(first, True, "", expert)
    with pytest.raises(EvaluationError, match="already made your declaration"):
        declare(first, True, "", expert)
    with pytest.raises(EvaluationError, match="cannot assess"):
        save_assessment(first, GOOD, {}, f.user())


def test_registering_a_staff_member_or_no_address_is_refused(programme):
    agency = Agency.objects.get(code="LV01")
    with pytest.raises(ValidationError, match="e-mail address"):
        register_expert(agency, email=" ", first_name="A", last_name="B")
    expert = f.expert()
    mail.outbox.clear()
    register_expert(agency, email=expert.email, first_name="E", last_name="X", sectors=["SCH"])
    assert mail.outbox == []  # an edit of an active expert sends nothing


def test_staging_and_releasing_twice_changes_and_sends_nothing_more(programme):
    coordinator = f.user()
    case, officer = _selected(coordinator)
    case.application.applicant.memberships.filter(user=coordinator).update(role="legal-representative")
    staged = stage_decisions(case.agency, case.call, "VET", officer)
    again = stage_decisions(case.agency, case.call, "VET", officer)
    assert [d.pk for d in again] == [d.pk for d in staged]
    assert AuditEvent.objects.filter(object_type="evaluation.decision", verb="stage-decision").count() == 1
    mail.outbox.clear()
    assert len(release(staged, officer)) == 1
    assert release(staged, officer) == []
    assert len(mail.outbox) == 1
    with pytest.raises(EvaluationError, match="released"):
        run_selection(case.agency, case.call, "VET", officer)
    assert issue_agreement(case).pk == GrantAgreement.objects.get(case=case).pk  # issued once


def test_agreement_transitions_are_idempotent_and_one_project_is_created(programme):
    from eplus.projects.models import Project

    coordinator = f.user()
    case, officer = _selected(coordinator)
    release(stage_decisions(case.agency, case.call, "VET", officer), officer)
    agreement = GrantAgreement.objects.get(case=case)
    rendered = render_agreement(agreement.pk)
    assert rendered.pdf and render_agreement(agreement.pk).sha256 == rendered.sha256  # rendered once
    signed = pdf(b"signed by the coordinator")
    upload_signed(agreement, SimpleUploadedFile("signed.pdf", signed), coordinator)
    upload_signed(agreement, SimpleUploadedFile("signed.pdf", signed), coordinator)  # same file: unchanged
    assert AuditEvent.objects.filter(verb="upload-signed-agreement").count() == 1
    assert accept_agreement(agreement, coordinator).status == AgreementStatus.ACCEPTED
    project = countersign(agreement, officer)
    assert countersign(agreement, officer).pk == project.pk
    assert Project.objects.filter(application=case.application).count() == 1
    assert agreement.status == AgreementStatus.COUNTERSIGNED


def test_an_application_without_dates_gets_no_agreement(programme):
    case = f.opened_case()
    type(case.application).objects.filter(pk=case.application_id).update(start_date=None)
    with pytest.raises(EvaluationError, match="no start date"):
        issue_agreement(Case.objects.get(pk=case.pk))


def test_a_decided_finding_decided_again_is_unchanged(programme):
    text = ("Forestry schools train rangers with drones and share their field guides openly with every school "
            "of the region through a common online library. ") * 3
    officer = f.officer()
    f.submitted(text=text)
    app = f.submitted(text=text)
    finding = run_similarity(app.call.deadline)[0]
    with pytest.raises(ValidationError):
        decide_finding(finding, "unknown", "why", officer)
    decide_finding(finding, FindingStatus.CLEARED, "Two schools, one text.", officer)
    decide_finding(finding, FindingStatus.CLEARED, "Two schools, one text.", officer)
    assert AuditEvent.objects.filter(verb="similarity-cleared").count() == 1


def test_the_workspace_filters(programme):
    officer = f.officer()
    closed = f.opened_case()
    confirm_formal_check(closed, False, "No partner.", officer)
    other = f.opened_case(action="KA210", lump_sum="60000.00")
    mine = officer_cases(officer)
    assert [c.pk for c in workspace_cases(mine, status=CaseState.CLOSED)] == [closed.pk]
    assert [c.pk for c in workspace_cases(mine, formal="pending")] == [other.pk]
    assert [c.pk for c in workspace_cases(mine, action="KA210", sector="VET")] == [other.pk]
    assert list(workspace_cases(mine, outcome=Outcome.SELECTED)) == []
    assert not Decision.objects.exists()
