"""The back-office pages area by area: GET only reads (cases come from the sweep, the stored verdict and the
stored agreement PDF are shown), every POST goes through its domain verb, and wrong roles get a 404."""

from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eplus.evaluation import checks
from eplus.evaluation.agreements import accept_agreement, render_agreement
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.findings import run_similarity
from eplus.evaluation.models import (
    AgreementStatus, Assignment, AssignmentRole, Case, CaseState, Decision, DecisionStatus, FindingStatus,
    FormalStatus, GrantAgreement, Outcome,
)
from eplus.evaluation.ranking import run_selection
from eplus.evaluation.sweep import sweep

from tests.organisations.conftest import mark_reauthenticated

from . import factories as f
from tests.samples import pdf

pytestmark = pytest.mark.django_db
GOOD = f.GOOD_SCORES




def _scored(case, officer, first=GOOD, second=GOOD):
    confirm_formal_check(case, True, "", officer)
    for role, scores in ((AssignmentRole.FIRST, first), (AssignmentRole.SECOND, second)):
        expert = f.expert()
        a = declare(assign(case, expert, role, officer), True, "", expert)
        save_assessment(a, scores, {k: "ok" for k in scores}, expert, submit=True)
    return Case.objects.get(pk=case.pk)


def _login(client, user):
    client.force_login(user)
    mark_reauthenticated(client, user)


def _released(coordinator, officer, render=True):
    case = _scored(f.opened_case(coordinator=coordinator, lump_sum="120000.00"), officer)
    run_selection(case.agency, case.call, "VET", officer)
    release(stage_decisions(case.agency, case.call, "VET", officer), officer)
    agreement = GrantAgreement.objects.get(case=case)
    if render:
        render_agreement(agreement.pk)
    return Case.objects.get(pk=case.pk), GrantAgreement.objects.get(pk=agreement.pk)


# --- workspace: reads only, the sweep opens the cases ----------------------------------------------------

def test_the_workspace_only_reads_and_the_sweep_opens_the_cases(client, programme):
    app = f.submitted()
    client.force_login(f.officer())
    page = client.get(reverse("evaluation:workspace"))
    assert page.status_code == 200 and app.number not in page.content.decode()
    assert not Case.objects.exists()
    assert sweep(f.now()) == {"cases_opened": 1, "agreement_pdfs_rendered_again": 0}
    assert sweep(f.now()) == {"cases_opened": 0, "agreement_pdfs_rendered_again": 0}  # idempotent
    case = Case.objects.get(application=app)
    assert case.submission.is_current and case.formal_verdict["eligible"] is True
    assert app.number in client.get(reverse("evaluation:workspace")).content.decode()


def test_no_case_is_opened_before_the_deadline(programme):
    app = f.submitted()
    assert open_cases(now=app.call.deadline - (app.call.deadline - app.submitted_at) / 2) == []
    assert open_cases(now=app.call.deadline, call=app.call)[0].application == app


def test_an_ineligible_snapshot_is_stored_with_its_problems(programme):
    case = f.opened_case(priorities=())
    assert case.formal_verdict["eligible"] is False
    assert any(c["rule"] == "priorities.required" and not c["passed"] for c in case.formal_verdict["checks"])


def test_unknown_export_format_is_404(client, programme):
    client.force_login(f.officer())
    assert client.get(reverse("evaluation:export", args=["pdf"])).status_code == 404


def test_auto_assign_page_assigns_two_experts_and_warns_when_none_is_free(client, programme):
    officer = f.officer()
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    client.force_login(officer)
    response = client.post(reverse("evaluation:auto_assign"), {"call": str(case.call_id)}, follow=True)
    assert "No suitable expert is free" in response.content.decode()
    f.expert(), f.expert()
    client.post(reverse("evaluation:auto_assign"), {"call": str(case.call_id)})
    assert Assignment.objects.filter(case=case).count() == 2


# --- one case ----------------------------------------------------------------------------------------------

def test_the_case_page_shows_the_stored_verdict_without_running_the_engine(client, programme, monkeypatch):
    case = f.opened_case(priorities=())
    officer = f.officer()
    client.force_login(officer)
    monkeypatch.setattr(checks, "eligibility_verdict", lambda case: pytest.fail("the engine ran on GET"))
    page = client.get(reverse("evaluation:case", args=[case.pk])).content.decode()
    assert "finds problems" in page
    monkeypatch.undo()
    Case.objects.filter(pk=case.pk).update(formal_verdict={})
    response = client.post(reverse("evaluation:formal_check", args=[case.pk]), {"rerun": "1"})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).formal_verdict["eligible"] is False


def test_formal_check_page_records_and_explains(client, programme):
    case = f.opened_case(priorities=())
    client.force_login(f.officer())
    url = reverse("evaluation:formal_check", args=[case.pk])
    response = client.post(url, {"decision": "eligible", "reason": ""})
    assert response.status_code == 400 and "give the reason why you still confirm" in response.content.decode()
    assert client.post(url, {"decision": "eligible", "reason": "A priority is in the text."}).status_code == 302
    assert Case.objects.get(pk=case.pk).formal_status == FormalStatus.ELIGIBLE
    assert client.post(url, {"decision": "eligible", "reason": "A priority is in the text."}).status_code == 302
    Case.objects.filter(pk=case.pk).update(state=CaseState.SCORED)
    response = client.post(url, {"decision": "ineligible", "reason": "Too late."})
    assert response.status_code == 400 and "can no longer be declared ineligible" in response.content.decode()


def test_assign_and_unassign_pages(client, programme):
    officer = f.officer()
    case = f.opened_case()
    expert, other = f.expert(), f.expert()
    client.force_login(officer)
    url = reverse("evaluation:assign", args=[case.pk])
    response = client.post(url, {"expert": expert.pk, "role": AssignmentRole.FIRST})
    assert response.status_code == 400 and not Assignment.objects.exists()  # not eligible yet
    confirm_formal_check(case, True, "", officer)
    assert client.post(url, {"expert": expert.pk, "role": AssignmentRole.FIRST}).status_code == 302
    response = client.post(url, {"expert": other.pk, "role": AssignmentRole.FIRST})
    assert response.status_code == 400 and "already has a first expert" in response.content.decode()
    a = Assignment.objects.get(case=case, expert=expert)
    declare(a, True, "", expert)
    save_assessment(Assignment.objects.get(pk=a.pk), GOOD, {k: "ok" for k in GOOD}, expert, submit=True)
    response = client.post(reverse("evaluation:unassign", args=[case.pk, a.pk]), follow=True)
    assert "already submitted the assessment" in response.content.decode()
    b = assign(case, other, AssignmentRole.SECOND, officer)
    client.post(reverse("evaluation:unassign", args=[case.pk, b.pk]))
    assert not Assignment.objects.filter(pk=b.pk).exists()


def test_expert_register_page(client, programme):
    officer = f.officer()
    client.force_login(officer)
    url = reverse("evaluation:experts")
    assert client.get(url).status_code == 200
    data = {"email": "new.expert@example.org", "first_name": "Nora", "last_name": "Expert", "languages": "en, lv",
            "sectors": ["VET"]}
    assert client.post(url, data).status_code == 302 and len(mail.outbox) == 1
    response = client.post(url, {**data, "email": officer.email})
    assert response.status_code == 400 and "staff of the agency" in response.content.decode()


# --- similarity --------------------------------------------------------------------------------------------

def test_similarity_pages(client, programme):
    text = ("Apprentices of bakeries learn sourdough methods from master bakers in three countries and publish "
            "their recipes as open educational resources for every vocational school. ") * 3
    a, _b = f.submitted(text=text), f.submitted(text=text)
    officer = f.officer()
    client.force_login(officer)
    url = reverse("evaluation:similarity", args=[a.call_id])
    assert client.get(url).status_code == 404  # no case of the agency in this call yet
    open_cases()
    assert client.post(url).status_code == 302
    finding = run_similarity(a.call.deadline)[0]
    assert str(finding.case_a) in client.get(url).content.decode()
    page = reverse("evaluation:finding", args=[finding.pk])
    assert client.get(page).status_code == 200
    assert client.post(page, {"status": FindingStatus.CLEARED, "reason": ""}).status_code == 400
    assert client.post(page, {"status": FindingStatus.CLEARED, "reason": "Same school, two fields."}).status_code == 302
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLEARED
    client.force_login(f.officer("LV02"))
    assert client.get(page).status_code == 404


# --- ranking, decisions, outbox ---------------------------------------------------------------------------

def test_ranking_stage_and_outbox_pages(client, programme):
    officer = f.officer()
    waiting = f.opened_case()
    client.force_login(officer)
    url = reverse("evaluation:ranking", args=[waiting.call_id, "VET"])
    assert "not scored yet" in client.post(url, {}, follow=True).content.decode()
    stage_url = reverse("evaluation:stage", args=[waiting.call_id, "VET"])
    assert "no decisions to stage" in client.post(stage_url, follow=True).content.decode()
    confirm_formal_check(waiting, False, "No partner.", officer)
    scored = _scored(f.opened_case(lump_sum="120000.00"), officer)
    client.post(url, {})
    assert Case.objects.get(pk=scored.pk).outcome == Outcome.SELECTED
    change = reverse("evaluation:manual_change", args=[scored.call_id, "VET", scored.pk])
    assert client.post(change, {"outcome": Outcome.RESERVE, "reason": "Double funding."}).status_code == 302
    assert Case.objects.get(pk=scored.pk).outcome == Outcome.RESERVE
    assert client.post(stage_url).status_code == 302
    outbox = reverse("evaluation:outbox")
    assert client.get(outbox).status_code == 200
    assert "Choose at least one" in client.post(outbox, {}, follow=True).content.decode()
    ids = [str(d.pk) for d in Decision.objects.all()]
    assert "2 decisions are released" in client.post(outbox, {"decision": ids}, follow=True).content.decode()
    assert not Decision.objects.exclude(status=DecisionStatus.RELEASED).exists()
    client.force_login(f.officer("LV02"))
    assert client.get(url).status_code == 404


# --- experts' pages ----------------------------------------------------------------------------------------

def test_assessment_page_draft_submit_and_the_consolidator(client, programme):
    officer = f.officer()
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    expert = f.expert()
    a = declare(assign(case, expert, AssignmentRole.FIRST, officer), True, "", expert)
    client.force_login(expert)
    url = reverse("evaluation:assessment", args=[a.pk])
    data = {f"score_{k}": v for k, v in GOOD.items()} | {f"comment_{k}": "Fine." for k in GOOD}
    assert client.post(url, data).status_code == 302  # a draft
    assert 'value="20"' in client.get(url).content.decode()
    assert client.post(url, {**data, "submit": "1"}).status_code == 302
    assert client.post(url, {**data, "comment_design": "Changed."}).status_code == 400  # submitted: no change
    assert Assignment.objects.get(pk=a.pk).assessment.comments["design"] == "Fine."
    second = f.expert()
    b = declare(assign(case, second, AssignmentRole.SECOND, officer), True, "", second)
    low = {"relevance": "10", "design": "15", "partnership": "10", "impact": "10"}
    save_assessment(b, low, {k: "weak" for k in low}, second, submit=True)
    assert Case.objects.get(pk=case.pk).state == CaseState.CONSOLIDATION
    c = assign(case, expert, AssignmentRole.CONSOLIDATOR, officer)
    page = client.get(reverse("evaluation:assessment", args=[c.pk])).content.decode()
    assert "weak" in page


# --- applicants' pages ------------------------------------------------------------------------------------

def test_the_agreement_pdf_is_served_from_the_stored_file_or_announced(client, programme):
    coordinator, officer = f.with_mfa(f.user()), f.officer()
    case, agreement = _released(coordinator, officer, render=False)
    client.force_login(coordinator)
    url = reverse("evaluation:agreement_pdf", args=[case.application_id])
    pending = client.get(url)
    assert pending.status_code == 503 and pending["Retry-After"] and "being prepared" in pending.content.decode()
    assert not GrantAgreement.objects.get(pk=agreement.pk).pdf  # the GET rendered nothing
    render_agreement(agreement.pk)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(officer)
    assert client.get(url).status_code == 200
    client.force_login(f.officer("LV02"))
    assert client.get(url).status_code == 404
    client.force_login(f.user())
    assert client.get(url).status_code == 404


def test_accept_and_upload_pages(client, programme):
    coordinator, officer = f.with_mfa(f.user()), f.officer()
    case, agreement = _released(coordinator, officer)
    member = f.with_mfa(f.user())
    case.application.applicant.memberships.create(user=member, role="member")
    _login(client, member)  # sees the decision, cannot sign
    decision = reverse("evaluation:decision", args=[case.application_id])
    assert "Accept the grant agreement" not in client.get(decision).content.decode()
    accept = reverse("evaluation:accept_agreement", args=[case.application_id])
    assert "Only the legal representative" in client.post(accept, follow=True).content.decode()
    _login(client, coordinator)
    assert "Accept the grant agreement" in client.get(decision).content.decode()
    upload = reverse("evaluation:upload_signed", args=[case.application_id])
    response = client.post(upload, {"file": SimpleUploadedFile("signed.pdf", b"plain text")})
    assert response.status_code == 400 and not GrantAgreement.objects.get(pk=agreement.pk).signed_pdf
    assert client.post(accept).status_code == 302
    assert GrantAgreement.objects.get(pk=agreement.pk).status == AgreementStatus.ACCEPTED
    response = client.post(upload, {"file": SimpleUploadedFile("signed.pdf", pdf(b"signed"))})
    assert response.status_code == 400 and not GrantAgreement.objects.get(pk=agreement.pk).signed_pdf
    client.force_login(officer)
    countersign = reverse("evaluation:countersign", args=[case.pk])
    assert "project is created" in client.post(countersign, follow=True).content.decode()
    assert GrantAgreement.objects.get(pk=agreement.pk).project_id is not None


def test_upload_page_then_countersign_refused_before_acceptance(client, programme):
    coordinator, officer = f.with_mfa(f.user()), f.officer()
    case, agreement = _released(coordinator, officer)
    client.force_login(officer)
    countersign = reverse("evaluation:countersign", args=[case.pk])
    assert "has to accept" in client.post(countersign, follow=True).content.decode()
    _login(client, coordinator)
    upload = reverse("evaluation:upload_signed", args=[case.application_id])
    scripted = pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")
    response = client.post(upload, {"file": SimpleUploadedFile("signed.pdf", scripted)})
    assert response.status_code == 400 and "JavaScript" in response.content.decode()
    assert client.post(upload, {"file": SimpleUploadedFile("signed.pdf", pdf(b"signed"))}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACCEPTED and agreement.signed_sha256
    assert agreement.signed_pdf.name.startswith(f"evaluation/agreements/{case.pk}/")
    response = client.get(reverse("evaluation:agreement_pdf", args=[case.application_id]) + "?signed=1")
    assert response["Content-Disposition"].startswith("attachment")  # an uploaded file is never shown inline
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(officer)
    assert client.get(reverse("evaluation:agreement_pdf", args=[case.application_id]), {"signed": "1"}
                      ).status_code == 200
    assert accept_agreement(agreement, coordinator).status == AgreementStatus.ACCEPTED  # already: unchanged
    assert Decimal(agreement.lump_sum) == Decimal("120000.00")


def test_uploading_the_signed_agreement_asks_for_the_identity_first_as_accepting_does(client, programme):
    coordinator, officer = f.with_mfa(f.user()), f.officer()
    case, agreement = _released(coordinator, officer)
    client.force_login(coordinator)  # signed in, but not recently re-authenticated
    decision = reverse("evaluation:decision", args=[case.application_id])
    page = client.get(decision).content.decode()
    assert "Confirm your identity to upload the signed agreement" in page and 'type="file"' not in page
    upload = reverse("evaluation:upload_signed", args=[case.application_id])
    response = client.post(upload, {"file": SimpleUploadedFile("signed.pdf", pdf(b"signed"))})
    assert response.status_code == 302 and reverse("account_reauthenticate") in response["Location"]
    agreement.refresh_from_db()
    assert agreement.status != AgreementStatus.ACCEPTED and not agreement.signed_pdf
    mark_reauthenticated(client, coordinator)
    assert 'type="file"' in client.get(decision).content.decode()
    assert client.post(upload, {"file": SimpleUploadedFile("signed.pdf", pdf(b"signed"))}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACCEPTED and agreement.signed_sha256
