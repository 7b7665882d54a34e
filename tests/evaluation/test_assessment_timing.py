"""The deadline decides when assessment starts (eplus.evaluation.timing): before a call's deadline — or while
an accepted incident report lets an applicant submit late — no formal check, expert, score or selection;
each service refuses and the pages say why. Also the expert's side of an assignment: the e-mail, the choice
of experts, the register's message."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from eplus.applications.models import IncidentReport, IncidentStatus
from eplus.core.models import OutgoingMail
from eplus.evaluation import timing
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.checks import confirm_formal_check, rerun_eligibility
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AssignmentRole, Case, CaseState, SelectionRun
from eplus.evaluation.workflow import TransitionRefused
from tests.factories import log_in_reauthenticated

from . import factories as f


def _clock(monkeypatch, instant):
    monkeypatch.setattr("eplus.core.time.now", lambda: instant)


@pytest.fixture
def case(programme):
    return f.opened_case()


def test_before_the_deadline_every_assessment_service_refuses(case, monkeypatch):
    officer, expert = f.officer(), f.expert()
    confirm_formal_check(case, True, "", officer)
    assignment = assign(case, expert, AssignmentRole.FIRST, officer)
    declare(assignment, True, "", expert)
    _clock(monkeypatch, case.call.deadline - timedelta(hours=1))
    with pytest.raises(TransitionRefused, match="open for submissions until"):
        confirm_formal_check(case, False, "Too late", officer)
    with pytest.raises(TransitionRefused, match="open for submissions"):
        rerun_eligibility(case, officer)
    with pytest.raises(TransitionRefused, match="open for submissions"):
        assign(case, f.expert(), AssignmentRole.SECOND, officer)
    with pytest.raises(TransitionRefused, match="open for submissions"):
        save_assessment(assignment, f.GOOD_SCORES, {}, expert)
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSMENT and case.assignments.count() == 1
    assert timing.selection_wait_reason(case.agency, case.call) is not None
    _clock(monkeypatch, case.call.deadline + timedelta(seconds=1))
    assert timing.selection_wait_reason(case.agency, case.call) is None
    save_assessment(assignment, f.GOOD_SCORES, {}, expert)  # after the deadline it works


def test_an_accepted_incident_window_holds_that_case_and_the_selection(case, monkeypatch):
    after = case.call.deadline + timedelta(hours=2)
    _clock(monkeypatch, after)
    report = IncidentReport.objects.create(application=case.application, call=case.call, agency=case.agency,
                                           description="Portal down", reported_at=case.call.deadline,
                                           status=IncidentStatus.REPORTED)
    other = f.opened_case()
    assert "waiting for a decision" in timing.selection_wait_reason(case.agency, case.call)
    report.status, report.late_until = IncidentStatus.ACCEPTED, after + timedelta(hours=10)
    report.save()
    assert "under an accepted technical-incident report" in timing.case_wait_reason(case)
    assert timing.case_wait_reason(other) is None  # the other applicant's case goes ahead
    with pytest.raises(TransitionRefused, match="technical-incident"):
        confirm_formal_check(case, True, "", f.officer())
    assert "technical-incident" in timing.selection_wait_reason(case.agency, case.call)
    _clock(monkeypatch, after + timedelta(hours=11))
    assert timing.case_wait_reason(case) is None and timing.selection_wait_reason(case.agency, case.call) is None


def test_the_pages_say_why_and_offer_nothing_before_the_deadline(client, case, monkeypatch):
    officer = f.officer()
    log_in_reauthenticated(client, officer)
    _clock(monkeypatch, case.call.deadline - timedelta(days=1))
    page = client.get(case.get_absolute_url()).content.decode()
    assert "open for submissions until" in page
    assert reverse("evaluation:formal_check", args=[case.pk]) not in page
    assert reverse("evaluation:assign", args=[case.pk]) not in page
    response = client.post(reverse("evaluation:formal_check", args=[case.pk]), {"rerun": "1"}, follow=True)
    assert response.status_code == 200 and "open for submissions until" in response.content.decode()
    response = client.post(reverse("evaluation:formal_check", args=[case.pk]),
                           {"decision": "eligible", "reason": ""})
    assert response.status_code == 400 and "open for submissions until" in response.content.decode()
    assert Case.objects.get(pk=case.pk).formal_status == "pending"


def test_the_workspace_lists_calls_still_open_for_submissions(client, programme, monkeypatch):
    application = f.submitted()
    officer = f.officer()
    log_in_reauthenticated(client, officer)
    _clock(monkeypatch, application.call.deadline - timedelta(days=2))
    page = client.get(reverse("evaluation:workspace")).content.decode()
    assert "Open for submissions" in page and "1 application submitted so far" in page
    _clock(monkeypatch, application.call.deadline + timedelta(days=2))
    assert "Open for submissions" not in client.get(reverse("evaluation:workspace")).content.decode()


def test_the_applicant_sees_the_assessment_stage_and_no_submit_link_after_the_deadline(client, programme):
    coordinator = f.user()
    case = f.opened_case(coordinator=coordinator)
    log_in_reauthenticated(client, coordinator)
    page = client.get(reverse("applications:detail", args=[case.application.pk])).content.decode()
    assert "Check and submit" not in page and "Check what is missing" not in page
    assert "checking that the application is eligible" in page and "Read what you submitted" in page
    confirm_formal_check(case, True, "", f.officer())
    page = client.get(reverse("applications:detail", args=[case.application.pk])).content.decode()
    assert "Experts are assessing the application." in page


# --- the expert's side of an assignment -----------------------------------------------------------------

def test_each_assignment_mails_the_expert_in_their_language(case, django_capture_on_commit_callbacks):
    officer, expert = f.officer(), f.expert()
    expert.email_language = "lv"
    expert.save()
    confirm_formal_check(case, True, "", officer)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assign(case, expert, AssignmentRole.FIRST, officer)
        assign(case, expert, AssignmentRole.FIRST, officer)  # the same again: nothing new, no second mail
    sent = [m for m in mail.outbox if expert.email in m.to and case.application.number in m.subject + m.body]
    assert len(sent) == 1
    assert reverse("evaluation:assessment", args=[assignment.pk]) in sent[0].body
    assert OutgoingMail.objects.get(kind="evaluation/email/assignment").language == "lv"


def test_an_expert_already_on_the_case_is_not_offered_again(client, case):
    officer, first, second = f.officer(), f.expert(), f.expert()
    confirm_formal_check(case, True, "", officer)
    assign(case, first, AssignmentRole.FIRST, officer)
    log_in_reauthenticated(client, officer)
    page = client.get(case.get_absolute_url()).content.decode()
    assert f'value="{second.pk}"' in page and f'value="{first.pk}"' not in page


def test_registering_an_expert_again_says_no_mail_was_sent(client, programme):
    officer = f.officer()
    log_in_reauthenticated(client, officer)
    data = {"email": "twice@example.org", "first_name": "Ann", "last_name": "Other", "languages": "en",
            "sectors": ["VET"]}
    first = client.post(reverse("evaluation:experts"), data, follow=True).content.decode()
    assert "has been sent an e-mail" in first
    again = client.post(reverse("evaluation:experts"), data, follow=True).content.decode()
    assert "No e-mail was sent" in again and "has been sent an e-mail" not in again


def test_the_selection_and_its_letters_wait_for_the_deadline(client, case, monkeypatch):
    from eplus.evaluation.decisions import stage_decisions
    from eplus.evaluation.ranking import run_selection
    from eplus.evaluation.workflow import EvaluationError

    officer = f.officer()
    _clock(monkeypatch, case.call.deadline - timedelta(hours=3))
    with pytest.raises(EvaluationError, match="open for submissions"):
        run_selection(case.agency, case.call, case.sector, officer)
    with pytest.raises(EvaluationError, match="open for submissions"):
        stage_decisions(case.agency, case.call, case.sector, officer)
    log_in_reauthenticated(client, officer)
    url = reverse("evaluation:ranking", kwargs={"call_pk": case.call.pk, "sector": case.sector})
    page = client.get(url).content.decode()
    assert "the selection runs after the deadline" in page and "Rank and select within the envelope" not in page
    assert client.post(url, {"skip_to_fit": ""}).status_code == 400
    assert not SelectionRun.objects.filter(call=case.call).exists()


def test_before_any_case_the_ranking_of_a_call_with_an_envelope_says_why_it_waits(client, programme, monkeypatch):
    from eplus.programme.models import Agency, BudgetEnvelope

    application = f.submitted()
    call = application.call
    assert BudgetEnvelope.objects.filter(agency__code="LV01", call=call, sector="VET").exists()
    _clock(monkeypatch, call.deadline - timedelta(days=1))
    url = reverse("evaluation:ranking", args=[call.pk, "VET"])
    log_in_reauthenticated(client, f.officer())
    page = client.get(url)
    assert page.status_code == 200 and "open for submissions until" in page.content.decode()
    assert "Rank and select within the envelope" not in page.content.decode()
    other = f.officer(agency=Agency.objects.exclude(code="LV01").order_by("code").first().code)
    log_in_reauthenticated(client, other)
    assert client.get(url).status_code == 404  # another agency's group: not found, as its cases would be
    BudgetEnvelope.objects.filter(agency__code="LV01", call=call, sector="ADU").delete()
    log_in_reauthenticated(client, f.officer())
    assert client.get(reverse("evaluation:ranking", args=[call.pk, "ADU"])).status_code == 404  # no envelope


def test_the_reading_view_offers_the_formal_check_after_the_deadline_only(client, case, monkeypatch):
    officer = f.officer()
    log_in_reauthenticated(client, officer)
    url = reverse("evaluation:case_application", args=[case.pk])
    _clock(monkeypatch, case.call.deadline - timedelta(days=1))
    before = client.get(url).content.decode()
    assert "open for submissions until" in before and reverse("evaluation:formal_check", args=[case.pk]) not in before
    _clock(monkeypatch, case.call.deadline + timedelta(days=1))
    after = client.get(url).content.decode()
    assert reverse("evaluation:formal_check", args=[case.pk]) in after and "Record the formal check" in after
    response = client.post(reverse("evaluation:formal_check", args=[case.pk]),
                           {"decision": "eligible", "reason": "Read in full."})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).formal_status != "pending"
