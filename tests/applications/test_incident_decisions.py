"""Technical-incident reports decided by the agency: an accepted report lets exactly that applicant
submit after the deadline, inside the window the call's data gives, and not after it; a rejection needs
a reason; the reporter is told; a decision is made once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from eplus.applications import incidents
from eplus.applications import submission as submitting
from eplus.applications.errors import ApplicationError, DeadlineClosed
from eplus.applications.models import IncidentStatus
from eplus.core.models import AuditEvent, OutgoingMail
from tests.factories import make_officer

from .conftest import context_data, make_ready, save

BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2027, 3, 4, 12, 0, tzinfo=BRUSSELS)


@pytest.fixture
def reported(clock, application, coordinator, partners):
    """A ready application whose applicant reported a problem half an hour after the deadline."""
    make_ready(application, coordinator, partners)
    clock(DEADLINE + timedelta(minutes=30))
    return incidents.report_incident(coordinator, application, "The submit button did nothing at 11:58.")


def _mails(kind):
    return list(OutgoingMail.objects.filter(kind=f"applications/email/incident_{kind}"))


def test_an_accepted_report_lets_that_applicant_submit_in_the_window_and_not_after(
        clock, reported, application, coordinator):
    with pytest.raises(DeadlineClosed):
        submitting.submit(application, coordinator)
    officer = make_officer(application.agency)
    report = incidents.decide_incident(reported, officer, accept=True)
    hours = application.call.other_rules["late_submission_after_incident_hours"]
    assert report.status == IncidentStatus.ACCEPTED and report.late_until == clock.state["now"] + timedelta(hours=hours)
    [mail] = _mails("accepted")
    assert mail.recipients == [coordinator.email] and f"report {report.pk}" in mail.subject

    clock(report.late_until - timedelta(minutes=1))
    submission = submitting.submit(application, coordinator)
    assert submission.incident == report
    assert AuditEvent.objects.filter(verb="submit-under-incident", object_id=str(submission.pk)).count() == 1

    clock(report.late_until)
    with pytest.raises(DeadlineClosed):
        submitting.submit(application, coordinator)


def test_the_deadline_rule_passes_a_submission_in_the_window_and_names_the_report(clock, reported, application):
    from eplus.applications.eligibility import evaluate

    report = incidents.decide_incident(reported, make_officer(application.agency), accept=True)
    at = report.late_until - timedelta(minutes=5)
    check = next(c for c in evaluate(application, at).checks if c.rule == "deadline.on-time")
    assert check.passed and f"report {report.pk}" in check.message
    late = next(c for c in evaluate(application, report.late_until).checks if c.rule == "deadline.on-time")
    assert late.passed is False and "within 2 hours of the deadline" in late.message  # the call's data says 2


def test_another_applicant_of_the_same_call_stays_closed(clock, reported, application, ka220, partners):
    from eplus.applications.creation import create_application
    from tests.factories import make_organisation, make_user

    other_user = make_user()
    clock(DEADLINE - timedelta(days=1))
    other = create_application(other_user, make_organisation("LV", member=other_user), ka220, "VET")
    clock(DEADLINE + timedelta(hours=1))
    incidents.decide_incident(reported, make_officer(application.agency), accept=True)
    with pytest.raises(DeadlineClosed):
        submitting.submit(other, other_user)


def test_a_rejection_needs_a_reason_and_the_reporter_reads_it(clock, reported, application, coordinator):
    officer = make_officer(application.agency)
    with pytest.raises(ValidationError, match="reason"):
        incidents.decide_incident(reported, officer, accept=False, reason="  ")
    report = incidents.decide_incident(reported, officer, accept=False,
                                       reason="Our logs show the portal working at that time.")
    assert report.status == IncidentStatus.REJECTED and report.late_until is None
    [mail] = _mails("rejected")
    assert "Our logs show the portal working" in mail.body
    with pytest.raises(DeadlineClosed):
        submitting.submit(application, coordinator)


def test_a_decision_is_made_once(clock, reported, application):
    officer = make_officer(application.agency)
    first = incidents.decide_incident(reported, officer, accept=True)
    again = incidents.decide_incident(reported, officer, accept=True)
    assert again.decided_at == first.decided_at and len(_mails("accepted")) == 1
    assert AuditEvent.objects.filter(verb="accept-incident", object_id=str(first.pk)).count() == 1
    with pytest.raises(ApplicationError, match="already accepted"):
        incidents.decide_incident(reported, officer, accept=False, reason="Changed my mind")


def test_only_the_receiving_agency_decides_and_a_call_without_a_window_cannot_accept(clock, reported, application):
    with pytest.raises(PermissionDenied):
        incidents.decide_incident(reported, make_officer("LT01"), accept=True)
    call = application.call
    call.other_rules = {k: v for k, v in call.other_rules.items() if k != "late_submission_after_incident_hours"}
    call.save()
    reported.call.refresh_from_db()
    with pytest.raises(ApplicationError, match="no late-submission window"):
        incidents.decide_incident(reported, make_officer(application.agency), accept=True)


# --- the pages ------------------------------------------------------------------------------------

def test_the_officer_decides_on_the_list_and_the_applicant_sees_the_window(clock, client, reported, application,
                                                                             coordinator):
    officer = make_officer(application.agency)
    client.force_login(officer)
    page = client.get(reverse("applications:agency_incidents")).content.decode()
    assert "Record the decision" in page and "<legend>Decision</legend>" in page and "for 24 hours" in page
    decide = reverse("applications:decide_incident", args=[reported.pk])
    response = client.post(decide, {f"r{reported.pk}-decision": "reject", f"r{reported.pk}-reason": ""})
    assert response.status_code == 400 and "Give the reason for rejecting" in response.content.decode()
    response = client.post(decide, {f"r{reported.pk}-decision": "accept", f"r{reported.pk}-reason": "Confirmed."},
                           follow=True)
    assert "the applicant may submit until" in response.content.decode()
    assert "Record the decision" not in response.content.decode()  # decided: no form any more

    client.force_login(coordinator)
    detail = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert f"Your technical-incident report {reported.pk} was accepted" in detail
    incident_page = client.get(reverse("applications:incident", args=[application.pk])).content.decode()
    assert "Accepted on" in incident_page and "within 2 hours of the deadline" in incident_page
    submitted = submitting.submit(application, coordinator)
    page = client.get(reverse("applications:submitted", args=[application.pk, submitted.pk])).content.decode()
    assert f"Accepted under technical-incident report {reported.pk}" in page


def test_people_outside_the_agency_cannot_decide(clock, client, reported, application, coordinator):
    decide = reverse("applications:decide_incident", args=[reported.pk])
    for user in (coordinator, make_officer("LT01")):
        client.force_login(user)
        assert client.post(decide, {f"r{reported.pk}-decision": "accept"}).status_code in (403, 404)
    reported.refresh_from_db()
    assert reported.status == IncidentStatus.REPORTED


# --- assessment waits for the window ---------------------------------------------------------------

def test_a_case_waits_for_the_window_and_follows_a_late_submission(clock, reported, application, coordinator):
    from eplus.evaluation.cases import follow_late_submissions, open_cases

    report = incidents.decide_incident(reported, make_officer(application.agency), accept=True)
    first = submitting.submit(application, coordinator)  # late, in the window
    assert open_cases(clock.state["now"]) == []  # the window is still open: it may submit again
    clock(report.late_until + timedelta(minutes=1))
    [case] = open_cases(clock.state["now"])
    assert case.submission == first and case.formal_verdict
    assert follow_late_submissions() == (0, 0)


def test_a_case_opened_before_the_late_submission_follows_it_until_the_formal_check(
        clock, reported, application, coordinator):
    from eplus.evaluation.cases import follow_late_submissions, open_cases

    clock(DEADLINE - timedelta(hours=1))
    first = submitting.submit(application, coordinator)  # in time, then the applicant had trouble correcting it
    clock(DEADLINE + timedelta(hours=1))
    [case] = open_cases(clock.state["now"])
    incidents.decide_incident(reported, make_officer(application.agency), accept=True)
    save(application, "context", context_data(title="Green skills, corrected"), coordinator)
    late = submitting.submit(application, coordinator)
    assert late.pk != first.pk and late.incident == reported
    assert follow_late_submissions() == (1, 0)
    case.refresh_from_db()
    assert case.submission == late
    assert AuditEvent.objects.filter(verb="follow-late-submission", object_id=str(case.pk)).count() == 1
    assert follow_late_submissions() == (0, 0)


def test_a_second_different_decision_on_the_page_says_it_was_decided(clock, client, reported, application):
    officer = make_officer(application.agency)
    incidents.decide_incident(reported, officer, accept=False, reason="No problem in our logs.")
    client.force_login(officer)
    response = client.post(reverse("applications:decide_incident", args=[reported.pk]),
                           {f"r{reported.pk}-decision": "accept", f"r{reported.pk}-reason": ""})
    assert response.status_code == 400 and "already rejected" in response.content.decode()
