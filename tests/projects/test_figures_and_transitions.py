"""The call's own figures decide (no default in code: a missing figure is an explicit error), the page
and the decision on a further pre-financing agree, and every transition done twice changes nothing the
second time."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from eplus.core.audit import history
from eplus.projects import amendments, figures, payments, termination, workflow
from eplus.projects.creation import create_project
from eplus.projects.models import (
    Amendment, PaymentKind, PaymentStatus, Project, ProjectAccess, ProjectStatus, ReportKind, ReportStatus,
)
from eplus.projects.people import grant_access, set_person_access

from .conftest import make_application, make_officer
from .test_services import _interim_submitted, fill, sign_again
from .test_views import login


def _create(application):
    return create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                          end_date=date(2028, 8, 31), lump_sum=Decimal("250000"))


@pytest.mark.parametrize("field,empty", [("payment_schedule", []), ("first_prefinancing_days", None),
                                         ("progress_report_days", None), ("final_report_days", None)])
def test_a_call_without_a_figure_refuses_the_project_and_creates_nothing(people, field, empty):
    application = make_application("KA220", applicant=people["applicant"])
    setattr(application.call, field, empty)
    application.call.save()
    with pytest.raises(figures.MissingFigure) as refused:
        _create(application)
    assert str(application.call) in str(refused.value)
    assert not Project.objects.filter(application=application).exists()


def test_the_reduction_bands_and_decision_days_come_from_the_call(ka210, people):
    call = ka210.call
    call.final_report_decision_days = 45
    call.save()
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    final = workflow.submit_report(final, people["coordinator"])
    assert final.assessment.decision_due == date.fromordinal(final.received_on.toordinal() + 45)
    call.reduction_bands = [{"min_score": "0", "reduction_percent": "10"}]
    call.save()
    assessment = workflow.save_assessment(final, people["officer"], overall_score=Decimal("42"))
    assert assessment.reduction_percent == Decimal("10") and assessment.final_grant == Decimal("54000.00")
    call.reduction_bands = []
    call.save()
    with pytest.raises(figures.MissingFigure, match="reduction bands"):
        workflow.save_assessment(final, people["officer"], overall_score=Decimal("42"))


def test_a_schedule_without_the_further_threshold_is_an_explicit_error(ka220, people):
    interim = _interim_submitted(ka220, people, "75000")
    schedule = ka220.call.payment_schedule
    schedule[1]["condition"] = {}
    ka220.call.payment_schedule = schedule
    ka220.call.save()
    with pytest.raises(figures.MissingFigure, match="further pre-financing"):
        workflow.accept_report(interim, people["officer"])
    assert ka220.payments.get(kind=PaymentKind.FURTHER).status == PaymentStatus.PLANNED


def test_the_page_and_the_decision_use_the_calls_own_threshold(client, ka220, people):
    """75 000 of 100 000 used: enough at the 2026 threshold, not at a call's 80 %; the agency's page says
    what the decision then does."""
    schedule = ka220.call.payment_schedule
    schedule[1]["condition"] = {"min_previous_prefinancing_used_percent": "80"}
    ka220.call.payment_schedule = schedule
    ka220.call.save()
    interim = _interim_submitted(ka220, people, "75000")
    login(client, people["officer"])
    page = client.get(reverse("projects:agency_report", args=[interim.pk])).content.decode()
    assert "Only 75" in page and "(80 %)" in page
    workflow.accept_report(interim, people["officer"])
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert further.status == PaymentStatus.BLOCKED and "(80 %)" in further.status_reason


def test_the_further_prefinancing_letter_is_rendered_after_the_decision(ka220, people,
                                                                         django_capture_on_commit_callbacks):
    interim = _interim_submitted(ka220, people, "75000")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.accept_report(interim, people["officer"])
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert further.status == PaymentStatus.DUE and further.letter.read().startswith(b"%PDF")
    assert payments.store_letter(ka220.payments.get(kind=PaymentKind.BALANCE)) is None  # planned: no letter


# --- every transition twice ------------------------------------------------------------------------

def test_marking_paid_twice_pays_once_and_only_the_agency_may(ka210, people):
    payment = ka210.payments.get(kind=PaymentKind.PREFINANCING)
    with pytest.raises(PermissionDenied):
        payments.mark_paid(payment, people["coordinator"])
    with pytest.raises(PermissionDenied):
        payments.mark_paid(payment, make_officer("LT01"))
    payments.mark_paid(payment, people["officer"], paid_on=date(2026, 9, 1))
    again = payments.mark_paid(payment, people["officer"], paid_on=date(2026, 9, 5))
    assert again.paid_on == date(2026, 9, 1)
    assert history(payment).filter(verb="mark-paid").count() == 1
    with pytest.raises(workflow.ProjectError, match="due"):
        payments.mark_paid(ka210.payments.get(kind=PaymentKind.BALANCE), people["officer"])


def test_report_decisions_twice_decide_once(ka220, people):
    interim = _interim_submitted(ka220, people, "75000")
    workflow.request_update(interim, people["officer"], "Add the venues.")
    assert workflow.request_update(interim, people["officer"], "Add the venues.").status == \
        ReportStatus.UPDATE_REQUESTED
    assert history(interim).filter(verb="request-update").count() == 1
    sign_again(interim, people["coordinator"])
    interim = workflow.submit_report(interim, people["coordinator"])
    with pytest.raises(workflow.ProjectError, match="already been submitted"):
        workflow.submit_report(interim, people["coordinator"])
    workflow.accept_report(interim, people["officer"])
    workflow.accept_report(interim, people["officer"])
    assert history(interim).filter(verb="accept-report").count() == 1
    further = ka220.payments.get(kind=PaymentKind.FURTHER)
    assert history(further).filter(verb="further-prefinancing-allowed").count() == 1
    final = ka220.reports.get(kind=ReportKind.FINAL)
    workflow.cancel_report(final, people["officer"], "Replaced.")
    assert workflow.cancel_report(final, people["officer"], "Replaced.").status == ReportStatus.CANCELLED
    assert history(final).filter(verb="cancel-report").count() == 1


def test_approving_twice_and_terminating_twice_change_nothing(ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    workflow.save_assessment(final, people["officer"], overall_score=Decimal("60"))
    from .test_services import mark_results_submitted

    mark_results_submitted(ka210)
    first = workflow.approve_assessment(final, people["officer"])
    second = workflow.approve_assessment(final, people["officer"])
    assert first.pk == second.pk and history(first).filter(verb="approve-final-report").count() == 1
    with pytest.raises(workflow.ProjectError, match="no longer be terminated"):
        termination.send_notice(ka210, people["officer"], "Fraud.")


def test_terminating_twice_terminates_once(ka220, people):
    with pytest.raises(PermissionDenied):
        termination.send_notice(ka220, people["coordinator"], "No.")
    notice = termination.send_notice(ka220, people["officer"], "Fraud.")
    termination.answer_notice(notice, people["coordinator"], "", agrees=True)
    termination.confirm_termination(notice, people["officer"], "without-costs")
    assert termination.confirm_termination(notice, people["officer"], "without-costs").status == "confirmed"
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.TERMINATED_WITHOUT_COSTS
    assert history(ka220).filter(verb="terminate-without-costs").count() == 1


def test_the_same_amendment_request_and_decision_twice_count_once(ka210, people):
    proposed = {"start_date": "2025-09-01", "end_date": "2026-10-31"}
    first = amendments.request_amendment(ka210, people["coordinator"], kind="dates", description="Later end.",
                                         proposed=proposed)
    again = amendments.request_amendment(ka210, people["coordinator"], kind="dates", description="Later end.",
                                         proposed=proposed)
    assert first.pk == again.pk and Amendment.objects.filter(project=ka210).count() == 1
    amendments.decide_amendment(first, people["officer"], approve=True)
    amendments.decide_amendment(first, people["officer"], approve=True)
    assert history(first).filter(verb="approve-amendment").count() == 1
    with pytest.raises(workflow.ProjectError, match="already been decided"):
        amendments.decide_amendment(first, people["officer"], approve=False, reason="Changed my mind.")
    with pytest.raises(PermissionDenied):
        amendments.decide_amendment(first, make_officer("LT01"), approve=True)
    with pytest.raises(PermissionDenied):
        amendments.request_amendment(ka210, people["partner"], kind="dates", description="x", proposed=proposed)


def test_granting_the_same_rights_twice_changes_nothing(ka220, people):
    with pytest.raises(PermissionDenied):
        grant_access(ka220, people["outsider"], "view", people["partner"])
    grant_access(ka220, people["partner"], "edit", people["coordinator"])
    grant_access(ka220, people["partner"], "edit", people["coordinator"])
    access = ProjectAccess.objects.get(project=ka220, user=people["partner"])
    assert access.level == "edit" and history(access).filter(verb="change-access").count() == 1
    set_person_access(ka220, people["partner"], "view", people["coordinator"])
    set_person_access(ka220, people["partner"], "view", people["coordinator"])
    assert history(access).filter(verb="change-access").count() == 2
    with pytest.raises(PermissionDenied):
        set_person_access(ka220, people["coordinator"], "none", people["partner"])


# --- agencies never see each other's ----------------------------------------------------------------

def test_an_officer_of_another_agency_lists_no_project_report_or_payment(client, ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    from eplus.projects.rules import agency_amendments, agency_payments, agency_projects, agency_reports

    other = make_officer("LT01")
    assert not agency_projects(other).exists() and not agency_reports(other).exists()
    assert not agency_payments(other).exists() and not agency_amendments(other).exists()
    assert agency_payments(people["officer"]).count() == ka210.payments.count()
    login(client, other)
    assert ka210.number not in client.get(reverse("projects:agency_payments_export")).content.decode()
    login(client, people["officer"])
    assert ka210.number in client.get(reverse("projects:agency_payments_export")).content.decode()
    login(client, people["coordinator"])
    assert client.get(reverse("projects:agency_payments_export")).status_code == 404
    assert client.get(reverse("projects:agency_queue")).status_code == 404
