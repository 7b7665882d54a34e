"""Experts on a project's final report (issue 14, item 1): assignment with the registry, conflict and
application-expert rules and the call's maximum; declaration, drafts and submission; the averages per work
package, the reduction bands and the final grant to the cent; approval waiting for the experts; the deadlines;
the audit trail; the wrong role by guessed URLs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from eplus.core.audit import history
from eplus.evaluation import final_reports as fr
from eplus.evaluation.models import Assignment, Case, FinalReportReview, ReviewStatus
from eplus.evaluation.workflow import EvaluationError
from eplus.projects import payments, workflow
from eplus.projects.base import ProjectError, today
from eplus.projects.figures import MissingFigure
from eplus.projects.models import FinalAssessment, PaymentKind, PaymentStatus, ProjectStatus, ReportKind, ReportStatus
from eplus.organisations.models import Membership, Role
from tests.factories import PDF, make_officer
from tests.projects.conftest import ka210, make_application, people  # noqa: F401 - fixtures
from tests.projects.test_services import fill, mark_results_submitted

from . import factories as f

D = Decimal

# WP1 (management, not scored) 33 333.33, WP2 100 000.00, WP3 116 666.67: 250 000 in all.
ODD_WPS = [("Project management", "33333.33"), ("Training programme", "100000.00"), ("Pilot courses", "116666.67")]


@pytest.fixture
def ka220(people):  # noqa: F811 - the projects' people fixture
    from eplus.projects.creation import create_project

    application = make_application("KA220", lump_sum="250000", applicant=people["applicant"],
                                   partners=[people["partner_org"]], items=ODD_WPS)
    return create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                          end_date=date(2028, 8, 31), lump_sum=D("250000"), agreement_pdf=PDF,
                          created_by=people["officer"])


def final_submitted(project, people):  # noqa: F811
    final = project.reports.get(kind=ReportKind.FINAL)
    fill(final, people["coordinator"], used="1")
    return workflow.submit_report(final, people["coordinator"])


@pytest.fixture
def final(ka220, people):  # noqa: F811
    payments.mark_paid(ka220.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    return final_submitted(ka220, people)


def ready(review, expert):
    return fr.declare(review, True, "", expert)


def scored(review, expert, scores, comments=None, submit=True):
    comments = comments or {k: f"Why {v}" for k, v in scores.items()}
    return fr.save_review(review, expert, scores, comments, submit=submit)


# --- the figures -------------------------------------------------------------------------------------------

def test_two_experts_wp_scores_average_to_bands_and_final_grant_to_the_cent(ka220, final, people):  # noqa: F811
    officer, first, second = people["officer"], f.expert(), f.expert()
    one, two = fr.assign_expert(final, first, officer), fr.assign_expert(final, second, officer)
    scored(ready(one, first), first, {"2": "70", "3": "40"})
    scored(ready(two, second), second, {"2": "50", "3": "49.50"})

    summary = fr.consolidation(final)
    rows = {row.key: row for row in summary.rows}
    assert list(rows) == ["2", "3"]  # WP1 is not scored
    assert rows["2"].scores == [D("70.00"), D("50.00")] and rows["2"].average == D("60.00")
    assert rows["3"].scores == [D("40.00"), D("49.50")] and rows["3"].average == D("44.75")
    assert (rows["2"].reduction_percent, rows["2"].final) == (D("0"), D("100000.00"))
    assert (rows["3"].reduction_percent, rows["3"].final) == (D("25"), D("87500.00"))
    assert summary.grant.work_packages[1].final == D("28846.15")  # 33 333.33 x 187 500 / 216 666.67
    assert (summary.grant.amount, summary.grant.reduction, summary.grant.reduction_percent) == (
        D("216346.15"), D("33653.85"), D("13.46"))
    assert (summary.balance.paid, summary.balance.amount) == (D("100000.00"), D("116346.15"))

    assessment = fr.consolidate(final, officer, summary.proposed, "Consolidated from two experts.")
    assert assessment.wp_scores == {"2": "60.00", "3": "44.75"}
    assert (assessment.final_grant, assessment.reduction, assessment.balance) == (
        D("216346.15"), D("33653.85"), D("116346.15"))
    mark_results_submitted(ka220)
    approved = fr.approve(final, officer)
    assert approved.status == "approved" and approved.final_grant == D("216346.15")
    ka220.refresh_from_db()
    assert ka220.status == ProjectStatus.FINALISED
    balance = ka220.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status) == (D("116346.15"), PaymentStatus.DUE)


def test_the_officer_may_depart_from_the_average(ka220, final, people):  # noqa: F811
    expert = f.expert()
    scored(ready(fr.assign_expert(final, expert, people["officer"]), expert), expert, {"2": "80", "3": "80"})
    assessment = fr.consolidate(final, people["officer"], {"2": "80", "3": "30"})
    assert assessment.wp_scores == {"2": "80.00", "3": "30.00"}
    # WP3 50 % off: 116 666.67 -> 58 333.33 (58 333.335 rounded half-up); WP1 x 158 333.33 / 216 666.67
    assert assessment.final_grant == D("100000.00") + D("58333.33") + D("24358.97")


def test_a_project_without_work_packages_to_score_gets_one_overall_score(ka210, people):  # noqa: F811
    payments.mark_paid(ka210.payments.get(kind=PaymentKind.PREFINANCING), people["officer"])
    report = final_submitted(ka210, people)
    first, second = f.expert(), f.expert()
    scored(ready(fr.assign_expert(report, first, people["officer"]), first), first, {"overall": "40"})
    scored(ready(fr.assign_expert(report, second, people["officer"]), second), second, {"overall": "44"})
    summary = fr.consolidation(report)
    assert [(r.key, r.average, r.reduction_percent) for r in summary.rows] == [("overall", D("42.00"), D("25"))]
    assessment = fr.consolidate(report, people["officer"], summary.proposed)
    assert (assessment.overall_score, assessment.final_grant, assessment.balance) == (
        D("42.00"), D("45000.00"), D("-3000.00"))


def test_average_is_rounded_half_up_to_the_hundredth():
    assert fr.average([D("49.99"), D("50.00")]) == D("50.00")
    assert fr.average([D("40"), D("40.01"), D("40.01")]) == D("40.01")


@pytest.mark.parametrize("value", ["100.5", "-1", "abc", "12.345", "NaN", "Infinity"])
def test_scores_outside_0_to_100_or_with_three_decimals_are_refused(ka220, final, people, value):  # noqa: F811
    expert = f.expert()
    review = ready(fr.assign_expert(final, expert, people["officer"]), expert)
    with pytest.raises(ValidationError) as caught:
        fr.save_review(review, expert, {"2": value, "3": "50"}, {"2": "c", "3": "c"}, submit=True)
    assert list(caught.value.message_dict) == ["score_2"]


def test_submission_needs_every_score_and_comment_but_a_draft_does_not(ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = ready(fr.assign_expert(final, expert, people["officer"]), expert)
    draft = fr.save_review(review, expert, {"2": "55"}, {}, submit=False)
    assert (draft.status, draft.scores) == (ReviewStatus.DRAFT, {"2": "55.00"})
    with pytest.raises(ValidationError) as caught:
        fr.save_review(review, expert, {"2": "55"}, {"2": "fine"}, submit=True)
    assert sorted(caught.value.message_dict) == ["comment_3", "score_3"]


# --- assignment rules --------------------------------------------------------------------------------------

def test_assignment_mails_the_expert_and_sets_the_due_date_from_the_call(ka220, final, people):  # noqa: F811
    expert = f.expert()
    mail.outbox.clear()
    review = fr.assign_expert(final, expert, people["officer"])
    assert review.due == today() + timedelta(days=21)  # final_report_expert_days of the 2026 call
    sent = [m for m in mail.outbox if m.to == [expert.email]]
    assert len(sent) == 1
    assert ka220.number in sent[0].subject and reverse("evaluation:final_report_review", args=[review.pk]) in \
        sent[0].body
    assert fr.assign_expert(final, expert, people["officer"]).pk == review.pk  # again: the same, no new mail
    assert len([m for m in mail.outbox if m.to == [expert.email]]) == 1


def test_at_most_the_calls_number_of_experts(ka220, final, people):  # noqa: F811
    fr.assign_expert(final, f.expert(), people["officer"])
    fr.assign_expert(final, f.expert(), people["officer"])
    with pytest.raises(ValidationError, match="already has 2 experts"):
        fr.assign_expert(final, f.expert(), people["officer"])
    assert final.expert_reviews.count() == 2


def test_an_expert_of_a_project_organisation_is_refused(ka220, final, people):  # noqa: F811
    expert = f.expert()
    Membership.objects.create(organisation=people["partner_org"], user=expert, role=Role.MEMBER)
    with pytest.raises(ValidationError, match="acts for an organisation of this project"):
        fr.assign_expert(final, expert, people["officer"])
    assert not final.expert_reviews.exists()


def test_an_expert_of_the_application_is_refused_when_the_call_says_so(ka220, final, people):  # noqa: F811
    expert = f.expert()
    case = Case.objects.create(application=ka220.application, agency=ka220.agency, call=ka220.call)
    Assignment.objects.create(case=case, expert=expert, role="first")
    with pytest.raises(ValidationError, match="was an expert on this project's application"):
        fr.assign_expert(final, expert, people["officer"])
    ka220.call.other_rules = {**ka220.call.other_rules, "final_report_expert_excludes_application_experts": False}
    ka220.call.save()
    final.project.call.refresh_from_db()
    assert fr.assign_expert(final, expert, people["officer"]).expert == expert


def test_someone_not_in_the_registry_is_refused(ka220, final, people):  # noqa: F811
    other_agency_expert = f.expert(agency="LT01")
    for person in (people["outsider"], other_agency_expert):
        with pytest.raises(ValidationError, match="not a registered expert of the agency"):
            fr.assign_expert(final, person, people["officer"])


def test_a_call_without_the_figure_is_a_clear_error(ka220, final, people):  # noqa: F811
    rules = dict(ka220.call.other_rules)
    rules.pop("final_report_experts_max")
    ka220.call.other_rules = rules
    ka220.call.save()
    final.project.call.refresh_from_db()
    with pytest.raises(MissingFigure, match="number of experts on a final report"):
        fr.assign_expert(final, f.expert(), people["officer"])


def test_only_a_submitted_final_report_gets_experts(ka220, people):  # noqa: F811
    draft = ka220.reports.get(kind=ReportKind.FINAL)
    with pytest.raises(EvaluationError, match="submitted final report"):
        fr.assign_expert(draft, f.expert(), people["officer"])


def test_another_agencys_officer_cannot_assign(ka220, final, people):  # noqa: F811
    with pytest.raises(PermissionDenied):
        fr.assign_expert(final, f.expert(), make_officer("LT01"))


# --- the expert's steps, approval and the audit trail --------------------------------------------------------

def test_approval_waits_for_every_assigned_expert(ka220, final, people):  # noqa: F811
    officer, expert = people["officer"], f.expert()
    review = fr.assign_expert(final, expert, officer)
    workflow.save_assessment(final, officer, wp_scores={2: "60", 3: "60"})
    mark_results_submitted(ka220)
    with pytest.raises(ProjectError, match="1 assigned expert has not submitted"):
        workflow.approve_assessment(final, officer)  # the projects' own page is held back too
    with pytest.raises(EvaluationError, match="has not submitted"):
        fr.consolidate(final, officer, {"2": "60", "3": "60"})
    fr.unassign_expert(review, officer)
    assert workflow.approve_assessment(final, officer).status == "approved"


def test_double_clicks_do_things_once(ka220, final, people):  # noqa: F811
    officer, expert = people["officer"], f.expert()
    review = fr.assign_expert(final, expert, officer)
    ready(review, expert)
    ready(review, expert)
    scores = {"2": "60", "3": "44.75"}
    first = scored(review, expert, scores)
    again = scored(review, expert, {"2": "10", "3": "10"})  # a second submit returns the submitted one
    assert again.submitted_at == first.submitted_at and again.scores == {"2": "60.00", "3": "44.75"}
    with pytest.raises(EvaluationError, match="submitted and can no longer be changed"):
        fr.save_review(review, expert, scores, {}, submit=False)
    fr.consolidate(final, officer, scores)
    fr.consolidate(final, officer, scores)
    mark_results_submitted(ka220)
    fr.approve(final, officer)
    fr.approve(final, officer)
    verbs = list(history(review).values_list("verb", flat=True))
    assert verbs.count("declare-interests-final-report") == 1
    assert verbs.count("submit-final-report-review") == 1
    assessment = FinalAssessment.objects.get(report=final)
    assessment_verbs = list(history(assessment).values_list("verb", flat=True))
    assert assessment_verbs.count("score-final-report") == 1
    assert assessment_verbs.count("approve-final-report") == 1


def test_every_step_is_in_the_audit_trail(ka220, final, people):  # noqa: F811
    officer, expert, other = people["officer"], f.expert(), f.expert()
    review = fr.assign_expert(final, expert, officer)
    fr.declare(review, True, "", expert)
    fr.save_review(review, expert, {"2": "60"}, {}, submit=False)
    scored(review, expert, {"2": "60", "3": "55"})
    removed = fr.assign_expert(final, other, officer)
    fr.declare(removed, False, "I taught at the coordinator last year.", other)
    fr.unassign_expert(removed, officer)
    events = list(history(review).order_by("pk").values_list("verb", "actor_id"))
    assert events == [("assign-final-report-expert", officer.pk), ("declare-interests-final-report", expert.pk),
                      ("save-final-report-review", expert.pk), ("submit-final-report-review", expert.pk)]
    gone = history(removed).order_by("pk")
    assert [e.action for e in gone][-1] == "delete" and gone.last().actor_id == officer.pk
    assert gone.filter(verb="declare-interests-final-report",
                       reason="I taught at the coordinator last year.").exists()


def test_a_submitted_expert_stays_and_a_conflict_needs_a_description(ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    with pytest.raises(ValidationError):
        fr.declare(review, False, "  ", expert)
    with pytest.raises(EvaluationError, match="You cannot assess"):
        fr.save_review(review, expert, {"2": "60", "3": "60"}, {"2": "c", "3": "c"}, submit=True)
    scored(ready(review, expert), expert, {"2": "60", "3": "60"})
    with pytest.raises(EvaluationError, match="already submitted"):
        fr.unassign_expert(review, people["officer"])
    with pytest.raises(EvaluationError, match="already made your declaration"):
        fr.declare(review, False, "changed my mind", expert)


def test_days_left_and_overdue():
    on = date(2026, 12, 7)
    assert fr.days_left(date(2026, 12, 28), on) == "21 days left"
    assert fr.days_left(date(2026, 12, 8), on) == "1 day left"
    assert fr.days_left(on, on) == "due today"
    assert fr.days_left(date(2026, 12, 5), on) == "2 days overdue"


# --- the pages ------------------------------------------------------------------------------------------------

def test_officer_page_shows_scores_averages_band_grant_and_deadlines(client, ka220, final, people):  # noqa: F811
    officer, first, second = people["officer"], f.expert(), f.expert()
    one, two = fr.assign_expert(final, first, officer), fr.assign_expert(final, second, officer)
    scored(ready(one, first), first, {"2": "70", "3": "40"})
    ready(two, second)
    FinalReportReview.objects.filter(pk=two.pk).update(due=today() - timedelta(days=2))
    client.force_login(officer)
    url = reverse("evaluation:final_report", args=[final.pk])
    page = client.get(url).content.decode()
    assert "2 days overdue" in page and "Overdue" in page
    assessment = FinalAssessment.objects.get(report=final)
    left = (assessment.decision_due - today()).days
    assert f"{left} days left" in page and assessment.decision_due.isoformat() in page
    assert "1 assigned expert has not submitted" in page
    scored(two, second, {"2": "50", "3": "49.50"})
    page = client.get(url).content.decode()
    assert "60.00" in page and "44.75" in page and "216346.15 EUR" in page and "116346.15 EUR" in page
    assert 'name="score_2" value="60.00"' in page  # the average proposed
    response = client.post(url, {"action": "consolidate", "score_2": "60.00", "score_3": "44.75", "comments": "OK"})
    assert response.status_code == 302
    assert FinalAssessment.objects.get(report=final).final_grant == D("216346.15")
    mark_results_submitted(ka220)
    response = client.post(url, {"action": "approve"})
    assert response.status_code == 302
    final.refresh_from_db()
    assert final.status == ReportStatus.ACCEPTED


def test_officer_page_refuses_a_conflicted_expert_with_a_message(client, ka220, final, people):  # noqa: F811
    expert = f.expert()
    Membership.objects.create(organisation=people["applicant"], user=expert, role=Role.MEMBER)
    client.force_login(people["officer"])
    response = client.post(reverse("evaluation:final_report", args=[final.pk]),
                           {"action": "assign", "expert": expert.pk})
    assert response.status_code == 400
    assert "acts for an organisation of this project" in response.content.decode()
    assert not final.expert_reviews.exists()


def test_expert_declares_before_reading_then_scores(client, ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    client.force_login(expert)
    listing = client.get(reverse("evaluation:expert_assignments")).content.decode()
    assert ka220.number in listing and reverse("evaluation:final_report_review", args=[review.pk]) in listing
    url = reverse("evaluation:final_report_review", args=[review.pk])
    page = client.get(url).content.decode()
    assert "Conflict-of-interest declaration" in page and "Welders learn green skills." not in page
    assert client.post(url, {"no_conflict": "yes", "note": ""}).status_code == 302
    page = client.get(url).content.decode()
    assert "Welders learn green skills." in page and "WP2 Training programme: score (0 to 100)" in page
    assert "WP1" not in page.split('id="scores-title"')[1]
    response = client.post(url, {"score_2": "60", "score_3": "", "comment_2": "Good", "submit": "1"})
    assert response.status_code == 400 and "Give a score from 0 to 100." in response.content.decode()
    response = client.post(url, {"score_2": "60", "score_3": "44.75", "comment_2": "Good", "comment_3": "Late",
                                 "submit": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED and review.report_version == 1


def test_wrong_roles_get_404_on_guessed_urls(client, ka220, final, people):  # noqa: F811
    expert, other_expert = f.expert(), f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    officer_url = reverse("evaluation:final_report", args=[final.pk])
    expert_url = reverse("evaluation:final_report_review", args=[review.pk])
    interim = ka220.reports.get(kind=ReportKind.INTERIM)
    for person in (people["coordinator"], people["outsider"], expert, make_officer("LT01")):
        client.force_login(person)
        assert client.get(officer_url).status_code == 404
        assert client.post(officer_url, {"action": "assign", "expert": other_expert.pk}).status_code == 404
        assert client.post(officer_url, {"action": "approve"}).status_code == 404
    for person in (people["coordinator"], other_expert, people["officer"]):
        client.force_login(person)
        assert client.get(expert_url).status_code == 404
        assert client.post(expert_url, {"no_conflict": "yes"}).status_code == 404
    client.force_login(people["officer"])
    assert client.get(reverse("evaluation:final_report", args=[interim.pk])).status_code == 404
    assert client.get(reverse("evaluation:final_report", args=[999_999_999])).status_code == 404
    client.logout()
    assert client.get(officer_url).status_code == 302 and client.get(expert_url).status_code == 302
    review.refresh_from_db()
    assert review.declared_at is None and final.expert_reviews.count() == 1


def test_an_expert_taken_out_of_the_registry_loses_the_report(client, ka220, final, people):  # noqa: F811
    from eplus.programme.models import AgencyMembership

    expert = f.expert()
    review = ready(fr.assign_expert(final, expert, people["officer"]), expert)
    AgencyMembership.objects.filter(user=expert, role="expert").update(active=False)
    client.force_login(expert)
    assert client.get(reverse("evaluation:final_report_review", args=[review.pk])).status_code == 404


def test_the_pages_are_in_latvian(client, ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    client.force_login(people["officer"])
    response = client.get(reverse("evaluation:final_report", args=[final.pk]), HTTP_ACCEPT_LANGUAGE="lv")
    assert response.status_code == 200 and 'lang="lv"' in response.content.decode()
    client.force_login(expert)
    response = client.get(reverse("evaluation:final_report_review", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="lv")
    assert response.status_code == 200


def test_the_experts_dashboard_counts_the_final_reports_to_assess(client, ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    client.force_login(expert)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-queue="final-reports" data-count="1"' in page and "1 final report to assess" in page
    scored(ready(review, expert), expert, {"2": "60", "3": "60"})
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-queue="final-reports" data-count="0"' in page


def test_the_pages_of_a_project_scored_overall_and_after_approval(client, ka210, people):  # noqa: F811
    report = final_submitted(ka210, people)
    expert = f.expert()
    review = ready(fr.assign_expert(report, expert, people["officer"]), expert)
    client.force_login(expert)
    page = client.get(reverse("evaluation:final_report_review", args=[review.pk])).content.decode()
    assert "Overall: score (0 to 100)" in page and "WP" not in page.split('id="scores-title"')[1]
    scored(review, expert, {"overall": "42"})
    client.force_login(people["officer"])
    url = reverse("evaluation:final_report", args=[report.pk])
    page = client.get(url).content.decode()
    assert "42.00" in page and "45000.00 EUR" in page
    assert client.post(url, {"action": "consolidate", "score_overall": "42"}).status_code == 302
    mark_results_submitted(ka210)
    assert client.post(url, {"action": "approve"}).status_code == 302
    page = client.get(url)
    assert page.status_code == 200 and 'name="action" value="approve"' not in page.content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 302  # approving again changes nothing
    assert history(FinalAssessment.objects.get(report=report)).filter(verb="approve-final-report").count() == 1


def test_the_list_pages_query_the_same_for_one_or_three_final_reports(client, people,  # noqa: F811
                                                                      django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from eplus.projects.creation import create_project

    expert, officer = f.expert(), people["officer"]

    def another_report():
        application = make_application("KA220", lump_sum="250000", applicant=people["applicant"], items=ODD_WPS)
        project = create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                                 end_date=date(2028, 8, 31), lump_sum=D("250000"), created_by=officer)
        report = final_submitted(project, people)
        return scored(ready(fr.assign_expert(report, expert, officer), expert), expert, {"2": "60", "3": "50"})

    first = another_report()
    client.force_login(expert)
    listing = reverse("evaluation:expert_assignments")
    client.get(listing)
    with CaptureQueriesContext(connection) as one:
        assert client.get(listing).status_code == 200
    client.force_login(officer)
    page = reverse("evaluation:final_report", args=[first.report_id])
    client.get(page)
    with CaptureQueriesContext(connection) as officer_one:
        client.get(page)
    another_report()
    another_report()
    second = f.expert()
    scored(ready(fr.assign_expert(first.report, second, officer), second), second, {"2": "50", "3": "50"})
    client.force_login(expert)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(listing).content.decode().count("/agency/expert/final-reports/") == 3
    client.force_login(officer)
    with django_assert_max_num_queries(len(officer_one.captured_queries)):
        client.get(page)


# --- a resubmitted report re-opens the assessments of the earlier version (review 14, #9) ------------------

def _resubmitted(final, people):  # noqa: F811
    """The officer sends the final report back; the beneficiary signs again and submits the next version."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from eplus.projects import reports

    workflow.request_update(final, people["officer"], "Add the dates of the courses.")
    final.refresh_from_db()
    reports.attach_declaration(final, SimpleUploadedFile(
        "declaration-again.pdf", PDF + f"% {final.pk} v{final.version + 1}\n".encode()), people["coordinator"])
    final.refresh_from_db()
    return workflow.submit_report(final, people["coordinator"])


def test_a_resubmission_reopens_the_submitted_assessments_and_mails_the_experts(ka220, final, people):  # noqa: F811
    officer, first, second = people["officer"], f.expert(), f.expert()
    one, two = fr.assign_expert(final, first, officer), fr.assign_expert(final, second, officer)
    scored(ready(one, first), first, {"2": "70", "3": "40"})
    scored(ready(two, second), second, {"2": "50", "3": "49.50"})
    assert fr.approval_blocker(final) is None and final.version == 1
    mail.outbox.clear()

    report = _resubmitted(final, people)
    assert report.version == 2
    for review, expert, scores, comments in (
            (one, first, {"2": "70.00", "3": "40.00"}, {"2": "Why 70", "3": "Why 40"}),
            (two, second, {"2": "50.00", "3": "49.50"}, {"2": "Why 50", "3": "Why 49.50"})):
        review.refresh_from_db()
        assert (review.status, review.submitted_at, review.report_version) == (ReviewStatus.DRAFT, None, 1)
        assert (review.scores, review.comments) == (scores, comments)  # kept as the expert's start
        assert review.due == today() + timedelta(days=21)
        reopened = history(review).filter(verb="reopen-final-report-review")
        assert reopened.count() == 1 and "version 2" in reopened.get().reason
        sent = [m for m in mail.outbox if m.to == [expert.email]]
        assert len(sent) == 1 and ka220.number in sent[0].subject
        assert reverse("evaluation:final_report_review", args=[review.pk]) in sent[0].body

    # nothing to consolidate or approve until both experts have assessed version 2
    assert fr.approval_blocker(report) == ("2 assigned experts have not submitted their assessments yet; wait for "
                                           "them or remove the experts.")
    assert fr.consolidation(report).proposed == {}
    with pytest.raises(EvaluationError, match="2 assigned experts"):
        fr.consolidate(report, officer, {"2": "60", "3": "44.75"})
    again = scored(one, first, {"2": "80", "3": "60"})
    assert (again.status, again.report_version) == (ReviewStatus.SUBMITTED, 2)
    assert fr.approval_blocker(report).startswith("1 assigned expert has not submitted")
    scored(two, second, {"2": "60", "3": "60"})
    assert fr.approval_blocker(report) is None
    assert fr.consolidation(report).proposed == {"2": D("70.00"), "3": D("60.00")}


def test_the_blocker_counts_an_assessment_of_an_earlier_version_as_pending(ka220, final, people):  # noqa: F811
    officer, expert = people["officer"], f.expert()
    review = scored(ready(fr.assign_expert(final, expert, officer), expert), expert, {"2": "60", "3": "60"})
    assert fr.approval_blocker(final) is None
    FinalReportReview.objects.filter(pk=review.pk).update(report_version=final.version - 1)
    assert fr.approval_blocker(final) == ("1 assigned expert has not submitted an assessment yet; wait for it or "
                                          "remove the expert.")
    workflow.save_assessment(final, officer, wp_scores={2: "60", 3: "60"})
    mark_results_submitted(ka220)
    with pytest.raises(ProjectError, match="1 assigned expert has not submitted"):
        workflow.approve_assessment(final, officer)


def test_a_second_resubmission_with_a_draft_still_open_mails_no_one_again(ka220, final, people):  # noqa: F811
    officer, expert = people["officer"], f.expert()
    review = scored(ready(fr.assign_expert(final, expert, officer), expert), expert, {"2": "60", "3": "60"})
    report = _resubmitted(final, people)
    mail.outbox.clear()
    _resubmitted(report, people)  # the expert has not re-submitted yet: the draft simply stays open
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert history(review).filter(verb="reopen-final-report-review").count() == 1
    assert [m for m in mail.outbox if m.to == [expert.email]] == []


def test_the_officer_sees_the_version_each_expert_assessed(client, ka220, final, people):  # noqa: F811
    from tests.projects.test_views import login

    officer, expert = people["officer"], f.expert()
    scored(ready(fr.assign_expert(final, expert, officer), expert), expert, {"2": "60", "3": "60"})
    login(client, officer)
    url = reverse("evaluation:final_report", args=[final.pk])
    assert "Submitted on" in client.get(url).content.decode() and "(version 1)" in client.get(url).content.decode()
    _resubmitted(final, people)
    page = client.get(url).content.decode()
    assert "Open again: version 1 assessed, version 2 submitted" in page


# --- malformed call data is a clear error, never a 500 (review 14, #15) -------------------------------------

def _call_rule(project, key, value):
    rules = dict(project.call.other_rules)
    rules[key] = value
    project.call.other_rules = rules
    project.call.save()


@pytest.mark.parametrize(("key", "value", "label"), [
    ("final_report_expert_days", "thirty", "experts' period for a final report (days)"),
    ("final_report_expert_days", 21.5, "experts' period for a final report (days)"),
    ("final_report_experts_max", "thirty", "number of experts on a final report"),
    ("final_report_expert_excludes_application_experts", "yes", "rule on the application's experts"),
])
def test_a_malformed_figure_refuses_the_assignment_naming_it(ka220, final, people, key, value, label):  # noqa: F811
    _call_rule(ka220, key, value)
    with pytest.raises(MissingFigure, match="invalid") as refused:
        fr.assign_expert(final, f.expert(), people["officer"])
    assert label in str(refused.value)
    assert not FinalReportReview.objects.filter(report=final).exists()


def test_a_malformed_figure_is_an_error_on_the_officers_page(client, ka220, final, people):  # noqa: F811
    from tests.projects.test_views import login

    _call_rule(ka220, "final_report_expert_days", "thirty")
    expert = f.expert()
    login(client, people["officer"])
    response = client.post(reverse("evaluation:final_report", args=[final.pk]),
                           {"action": "assign", "expert": expert.pk})
    assert response.status_code == 400
    assert "invalid experts&#x27; period for a final report (days)" in response.content.decode()
    assert not FinalReportReview.objects.filter(report=final).exists()


@pytest.mark.parametrize(("value", "whole"), [(30, 30), ("30", 30), (" 7 ", 7), (14.0, 14), (0, 0)])
def test_whole_numbers_of_the_call_data_are_read(ka220, value, whole):
    from eplus.projects.figures import whole_number

    assert whole_number(ka220.call, value, "figure") == whole


@pytest.mark.parametrize("value", ["thirty", "30 days", "30.5", 30.5, True, -3, "-3", [30], "٣٠"])
def test_anything_else_is_a_missing_figure(ka220, value):
    from eplus.projects.figures import whole_number

    with pytest.raises(MissingFigure, match="invalid figure"):
        whole_number(ka220.call, value, "figure")


# --- accessibility and Latvian (review 14, #14) ---------------------------------------------------------------

def test_the_declaration_radios_are_a_fieldset_with_a_legend_and_real_labels(client, ka220, final, people):  # noqa: F811
    expert = f.expert()
    review = fr.assign_expert(final, expert, people["officer"])
    client.force_login(expert)
    url = reverse("evaluation:final_report_review", args=[review.pk])
    page = client.get(url).content.decode()
    assert '<fieldset class="field">' in page and "<legend>Your declaration" in page
    assert '<label for="id_no_conflict_0">I have no conflict of interest' in page
    assert '<label for="id_no_conflict_1">I have a conflict of interest.</label>' in page
    assert '<label for="">' not in page and '<label for="id_note">Describe the conflict' in page
    response = client.post(url, {"note": "Typed before choosing."})
    page = response.content.decode()
    assert response.status_code == 400
    assert '<fieldset class="field field-error" aria-describedby="id_no_conflict_error">' in page
    assert '<a href="#id_no_conflict_0">Your declaration: This field is required.</a>' in page
    assert ">\nTyped before choosing.</textarea>" in page
    review.refresh_from_db()
    assert review.declared_at is None


def _lv(client, url, user):
    from django.utils import translation

    client.force_login(user)
    with translation.override("lv"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="lv")
    assert response.status_code == 200, url
    assert 'lang="lv"' in response.content.decode()[:200], url
    return response.content.decode()


def test_every_final_report_page_renders_for_its_role_in_latvian(client, ka220, final, people):  # noqa: F811
    officer, expert, conflicted = people["officer"], f.expert(), f.expert()
    review = fr.assign_expert(final, expert, officer)
    other = fr.assign_expert(final, conflicted, officer)
    officer_url = reverse("evaluation:final_report", args=[final.pk])
    review_url = reverse("evaluation:final_report_review", args=[review.pk])
    _lv(client, officer_url, officer)  # experts assigned, nothing assessed
    _lv(client, review_url, expert)  # the declaration
    _lv(client, reverse("evaluation:expert_assignments"), expert)
    fr.declare(other, False, "I taught at the coordinator.", conflicted)
    _lv(client, reverse("evaluation:final_report_review", args=[other.pk]), conflicted)  # a conflict declared
    ready(review, expert)
    fr.save_review(review, expert, {"2": "60"}, {"2": "Draft"}, submit=False)
    assert "60.00" in _lv(client, review_url, expert)  # the draft
    scored(review, expert, {"2": "60", "3": "44.75"})
    _lv(client, review_url, expert)  # submitted
    fr.unassign_expert(other, officer)
    _lv(client, officer_url, officer)  # the averages and the figures they give
    fr.consolidate(final, officer, {"2": "60", "3": "44.75"})
    _lv(client, officer_url, officer)
    _resubmitted(final, people)
    _lv(client, officer_url, officer)  # re-opened after the resubmission
    _lv(client, review_url, expert)
