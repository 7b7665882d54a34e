"""The home page: a section per role the person has, each a work queue of counted links to the pages that do
the job; an officer of another agency sees nothing of this one; the counts cost a bounded number of queries."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eplus.applications.incidents import decide_incident
from eplus.applications.models import IncidentReport
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import (AgreementStatus, AssignmentRole, Case, CaseState, DecisionStatus,
                                     GrantAgreement)
from eplus.organisations.models import Membership, Organisation, Role
from eplus.programme.models import Agency
from eplus.projects.models import Amendment, PaymentStatus, Report, ReportStatus
from eplus.results.models import ProjectCard, ResultsStatus
from tests.evaluation import factories as f
from tests.factories import PDF, make_officer, make_organisation, make_user

BRUSSELS = ZoneInfo("Europe/Brussels")
ITEM = re.compile(r'<li class="queue-item[^"]*" data-queue="(?P<key>[\w-]+)" data-count="(?P<count>\d+)">\s*'
                  r'<a href="(?P<url>[^"]+)">(?P<label>[^<]+)</a>')


def queue(client, user):
    """The work queue of ``user``'s home page: {key: (count, url, label)}."""
    client.force_login(user)
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    return {m["key"]: (int(m["count"]), m["url"].replace("&amp;", "&"), m["label"].strip())
            for m in ITEM.finditer(page.content.decode())}


def certify_all():
    Organisation.objects.update(status=Organisation.Status.CERTIFIED)


def incident(application):
    return IncidentReport.objects.create(application=application, call=application.call, agency=application.agency,
                                         description="The portal did not answer.",
                                         reported_at=application.call.deadline - timedelta(minutes=5))


def project_of(application, officer):
    from eplus.projects.creation import create_project

    return create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                          end_date=date(2028, 8, 31), lump_sum=Decimal("250000"), agreement_pdf=PDF,
                          created_by=officer)


def agency_work(officer):
    """One of each kind of the agency's work (LV01)."""
    to_check = f.opened_case()
    assessed = f.opened_case()
    confirm_formal_check(assessed, True, "", officer)
    consolidating = f.opened_case()
    Case.objects.filter(pk=consolidating.pk).update(state=CaseState.CONSOLIDATION)
    staged = f.opened_case()
    Case.objects.filter(pk=staged.pk).update(state=CaseState.SCORED, decision_status=DecisionStatus.STAGED)
    signed = f.opened_case()
    Case.objects.filter(pk=signed.pk).update(state=CaseState.SCORED, decision_status=DecisionStatus.RELEASED)
    GrantAgreement.objects.create(case=signed, status=AgreementStatus.ACCEPTED, start_date=date(2026, 9, 1),
                                  end_date=date(2028, 8, 31), lump_sum=Decimal("250000"))
    project = project_of(signed.application, officer)  # its first pre-financing is due
    report = project.reports.order_by("due").first()
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    Amendment.objects.create(project=project, kind="dates", description="Two more months.")
    ProjectCard.objects.filter(identifier=project.number).update(results_status=ResultsStatus.UNDER_REVIEW)
    certify_all()
    make_organisation("LV", legal_name="Fictional Club Under Validation")
    return {"to_check": to_check, "assessed": assessed, "project": project,
            "incident": incident(to_check.application)}


EXPECTED = {
    "organisations": (1, "/organisations/agency/"),
    "incidents": (1, "/applications/agency/incidents/"),
    "formal-checks": (1, "/agency/?status=checks&formal=pending"),
    "experts": (1, "/agency/?status=assessment&experts=missing"),
    "consolidation": (1, "/agency/?status=consolidation"),
    "outbox": (1, "/agency/outbox/"),
    "agreements": (1, "/agency/?outcome=selected"),
    "redress": (0, "/agency/redress/"),  # counted by tests/evaluation/test_redress.py
    "reports": (1, "/projects/agency/"),
    "amendments": (1, "/projects/agency/"),
    "payments": (1, "/projects/agency/#payments-due"),
    "results": (1, "/results/agency/"),
}


@pytest.mark.django_db
def test_the_officer_sees_each_kind_of_work_counted_and_linked(client, programme):
    officer = make_officer("LV01")
    agency_work(officer)
    items = queue(client, officer)
    assert {key: (count, url) for key, (count, url, _label) in items.items()} == EXPECTED
    assert items["formal-checks"][2] == "1 submission to check"
    assert items["experts"][2] == "1 application without two experts"
    for _count, url, _label in items.values():  # every link opens for the officer
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("dashboard")).content.decode()
    assert "Your agency's work" in page and "LV01" in page
    assert "Your assessments" not in page and "Your applications and projects" not in page
    assert "You do not act for any organisation yet" not in page


@pytest.mark.django_db
def test_the_counts_go_down_as_the_work_is_done(client, programme):
    officer = make_officer("LV01")
    work = agency_work(officer)
    f.opened_case()
    assert queue(client, officer)["formal-checks"][:1] == (2,)
    confirm_formal_check(work["to_check"], True, "", officer)
    decide_incident(work["incident"], officer, accept=False, reason="The portal was up.")
    payment = work["project"].payments.get(status=PaymentStatus.DUE)
    from eplus.projects.payments import mark_paid

    mark_paid(payment, officer)
    expert_one, expert_two = f.expert(), f.expert()
    assign(work["assessed"], expert_one, AssignmentRole.FIRST, officer)
    items = queue(client, officer)
    assert items["formal-checks"][:2] == (1, "/agency/?status=checks&formal=pending")
    assert items["incidents"][0] == 0 and items["payments"][0] == 0
    # Two cases in assessment now (the one just checked has no expert, the other one); with two experts each
    # they leave the queue, but an expert who declares a conflict must be replaced.
    assert items["experts"][0] == 2
    assign(work["assessed"], expert_two, AssignmentRole.SECOND, officer)
    assert queue(client, officer)["experts"][0] == 1
    declare(work["assessed"].assignments.get(expert=expert_two), False, "My cousin wrote it.", expert_two)
    assert queue(client, officer)["experts"][0] == 2
    assert 'class="queue-item queue-item-waiting"' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_an_officer_of_another_agency_sees_nothing_of_this_one(client, programme):
    agency_work(make_officer("LV01"))
    other = make_officer("LT01")
    items = queue(client, other)
    assert set(items) == set(EXPECTED) and all(count == 0 for count, _url, _label in items.values())
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing is waiting for you at the moment." in page and "LT01" in page


@pytest.mark.django_db
def test_the_home_page_queries_stay_few_whatever_the_number_of_items(client, programme,
                                                                      django_assert_max_num_queries):
    officer = make_officer("LV01")
    Membership.objects.create(organisation=make_organisation("LV", certified=True), user=officer,
                              role=Role.CONTACT_PERSON)  # an officer who also applies: every section
    Agency.objects.get(code="LV01").memberships.create(user=officer, role="expert")
    agency_work(officer)
    client.force_login(officer)
    client.get(reverse("dashboard"))  # warm the session and the MFA checks
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("dashboard"))
    for _ in range(3):
        agency_work(officer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("dashboard"))
    with django_assert_max_num_queries(30):
        client.get(reverse("dashboard"))


# --- the expert ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_expert_sees_each_assignment_with_its_state(client, programme):
    officer, expert = make_officer("LV01"), f.expert()
    first, second = f.opened_case(), f.opened_case()
    for case in (first, second):
        confirm_formal_check(case, True, "", officer)
    one = assign(first, expert, AssignmentRole.FIRST, officer)
    assign(second, expert, AssignmentRole.FIRST, officer)
    items = queue(client, expert)
    url = reverse("evaluation:expert_assignments")
    assert items == {"declarations": (2, url, "2 declarations of interests to make"),
                     "scoring": (0, url, "0 applications to score")}
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("evaluation:assessment", args=[one.pk]) in page
    assert first.application.number in page and "Declaration of interests to make" in page
    assert "5 Mar 2026, 12:00 CET" in page  # the call's deadline (assessments have none of their own)

    declare(one, True, "", expert)
    assert queue(client, expert)["scoring"][:1] == (1,)
    assert "To score" in client.get(reverse("dashboard")).content.decode()
    comments = {code: "Justified." for code in f.GOOD_SCORES}
    save_assessment(one, f.GOOD_SCORES, comments, expert)
    assert "Scoring (draft saved)" in client.get(reverse("dashboard")).content.decode()
    save_assessment(one, f.GOOD_SCORES, comments, expert, submit=True)
    items = queue(client, expert)
    assert items["declarations"][0] == 1 and items["scoring"][0] == 0
    page = client.get(reverse("dashboard")).content.decode()
    assert "Submitted" in page and "Your agency's work" not in page

    # A declared conflict, and a case no longer assessed: nothing left to do on either.
    declare(second.assignments.get(expert=expert), False, "I advised the applicant.", expert)
    third = f.opened_case()
    confirm_formal_check(third, True, "", officer)
    declare(assign(third, expert, AssignmentRole.FIRST, officer), True, "", expert)
    Case.objects.filter(pk=third.pk).update(state=CaseState.CLOSED)
    items = queue(client, expert)
    assert items["declarations"][0] == 0 and items["scoring"][0] == 0
    page = client.get(reverse("dashboard")).content.decode()
    assert "Conflict declared: the agency reassigns it" in page and "No longer being assessed" in page


@pytest.mark.django_db
def test_an_expert_without_assignments_is_told_what_happens_next(client, programme):
    client.force_login(f.expert())
    page = client.get(reverse("dashboard")).content.decode()
    assert "No application is assigned to you yet." in page
    assert "Your applications and projects" not in page


# --- the applicant ------------------------------------------------------------------------------------------

@pytest.fixture
def brussels_clock(monkeypatch):
    state = {"now": datetime(2026, 3, 2, 9, 0, tzinfo=BRUSSELS)}
    monkeypatch.setattr("eplus.core.time.now", lambda: state["now"])
    return state


@pytest.mark.django_db
def test_a_new_account_is_told_to_register_an_organisation_and_find_a_call(client, programme):
    client.force_login(make_user(first_name="Anna"))
    page = client.get(reverse("dashboard")).content.decode()
    assert "Welcome, Anna" in page
    assert f'href="{reverse("organisations:register")}"' in page and f'href="{reverse("programme:calls")}"' in page
    assert "You have no application in progress." in page
    assert "Your agency's work" not in page and "Your assessments" not in page


@pytest.mark.django_db
def test_the_applicant_sees_drafts_with_their_countdown_submissions_decisions_and_projects(
        client, programme, brussels_clock):
    from eplus.applications.creation import create_application
    from eplus.programme.models import Call

    person = make_user(first_name="Ilze")
    school = make_organisation("LV", member=person, certified=True, legal_name="Fictional Riga School")
    ka220 = Call.objects.get(year=2026, action__code="KA220", round=1)  # 5 Mar 2026, 12:00 Brussels
    draft = create_application(person, school, ka220, "VET")
    client.force_login(person)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("applications:detail", args=[draft.pk]) in page
    assert "closes in 3 days" in page and "5 Mar 2026, 12:00 CET" in page
    brussels_clock["now"] = datetime(2026, 3, 4, 23, 30, tzinfo=BRUSSELS)
    assert "closes tomorrow at 12:00" in client.get(reverse("dashboard")).content.decode()
    brussels_clock["now"] = datetime(2026, 3, 5, 11, 20, tzinfo=BRUSSELS)
    assert "closes in 40 minutes" in client.get(reverse("dashboard")).content.decode()
    early = f.submitted(coordinator=person)  # submitted before the deadline: it may still change
    assert early.number in (page := client.get(reverse("dashboard")).content.decode())
    assert "Submitted: you can still change it and submit again until the deadline" in page
    brussels_clock["now"] = datetime(2026, 3, 5, 12, 0, tzinfo=BRUSSELS)  # the deadline instant is closed
    assert reverse("applications:detail", args=[draft.pk]) not in client.get(reverse("dashboard")).content.decode()
    # An accepted incident report gives that draft a late window: it is back, counting down to the window's end.
    report = incident(draft)
    IncidentReport.objects.filter(pk=report.pk).update(status="accepted", late_until=ka220.deadline + timedelta(hours=2))
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("applications:detail", args=[draft.pk]) in page and "closes today at 14:00" in page
    assert "late submission allowed after an accepted incident report" in page

    # After the deadline (real time): what was submitted, decided and became a project.
    brussels_clock["now"] = datetime(2026, 11, 2, 9, 0, tzinfo=BRUSSELS)
    waiting = f.submitted(coordinator=person)
    decided = f.submitted(coordinator=person)
    f.opened_case()
    case = Case.objects.get(application=decided)
    Case.objects.filter(pk=case.pk).update(decision_status=DecisionStatus.RELEASED, outcome="selected")
    GrantAgreement.objects.create(case=case, start_date=date(2026, 9, 1), end_date=date(2028, 8, 31),
                                  lump_sum=Decimal("250000"))
    project = project_of(decided, make_officer("LV01"))
    page = client.get(reverse("dashboard")).content.decode()
    assert waiting.number in page and "Being assessed by the agency" in page
    assert reverse("evaluation:decision", args=[decided.pk]) in page and "decision: Selected" in page
    assert "the grant agreement waits for your signature" in page
    report = project.reports.order_by("due").first()
    assert reverse("projects:report", args=[project.pk, report.pk]) in page
    assert "Pre-financing" in page and "due now" in page


def test_closes_in_counts_brussels_calendar_days():
    from eplus.home.queues import closes_in, due_in

    deadline = datetime(2026, 3, 5, 12, 0, tzinfo=BRUSSELS)
    # 23:30 in Riga on 3 March is 22:30 in Brussels: still two calendar days before the deadline's day.
    riga = datetime(2026, 3, 3, 23, 30, tzinfo=ZoneInfo("Europe/Riga"))
    assert closes_in(deadline, riga) == "closes in 2 days"
    assert closes_in(deadline, datetime(2026, 3, 5, 8, 0, tzinfo=BRUSSELS)) == "closes today at 12:00"
    assert closes_in(deadline, datetime(2026, 3, 5, 11, 59, 30, tzinfo=BRUSSELS)) == "closes in 1 minute"
    assert closes_in(deadline, deadline) == "closed"
    # Summer time: a deadline in CEST is printed on the Brussels clock.
    assert closes_in(datetime(2026, 10, 1, 12, 0, tzinfo=BRUSSELS),
                     datetime(2026, 9, 30, 9, 0, tzinfo=BRUSSELS)) == "closes tomorrow at 12:00"
    today = date(2026, 3, 5)
    assert (due_in(today, today), due_in(date(2026, 3, 10), today), due_in(date(2026, 3, 3), today),
            due_in(None, today)) == ("due today", "due in 5 days", "2 days overdue", "")


# --- the navigation -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_navigation_shows_what_the_role_uses_and_has_a_menu_button(client, programme):
    applicant, officer, expert = make_user(), make_officer("LV01"), f.expert()
    client.force_login(applicant)
    page = client.get(reverse("dashboard")).content.decode()
    assert ('<button type="button" class="nav-toggle" data-nav-toggle aria-expanded="false" '
            'aria-controls="site-menu" hidden>Menu</button>') in page
    assert 'id="site-menu"' in page and "js/nav.js" in page
    assert 'href="/dashboard/" aria-current="page">Home<' in page
    assert f'href="{reverse("applications:mine")}"' in page
    assert f'href="{reverse("evaluation:workspace")}"' not in page
    assert f'href="{reverse("evaluation:expert_assignments")}"' not in page

    client.force_login(officer)
    page = client.get(reverse("dashboard")).content.decode()
    for name in ("evaluation:workspace", "organisations:agency_queue", "applications:agency_incidents",
                 "projects:agency_queue", "results:review_queue"):
        assert f'href="{reverse(name)}"' in page, name
    assert f'href="{reverse("applications:mine")}"' not in page and 'id="agency-menu"' not in page

    # An officer who also acts for an organisation: the applicant's links, the agency's in a band of their own.
    Membership.objects.create(organisation=make_organisation("LV"), user=officer, role=Role.CONTACT_PERSON)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("applications:mine")}"' in page and 'id="agency-menu"' in page
    assert 'aria-controls="site-menu agency-menu"' in page
    assert "Your applications and projects" in page and "Your agency's work" in page

    client.force_login(expert)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("evaluation:expert_assignments")}"' in page
    assert f'href="{reverse("applications:mine")}"' not in page
    assert f'href="{reverse("evaluation:workspace")}"' not in page

    client.logout()
    page = client.get(reverse("home")).content.decode()
    assert reverse("organisations:search") in page and f'href="{reverse("applications:mine")}"' not in page
    assert "data-nav-toggle" in page


@pytest.mark.django_db
def test_the_home_page_sends_people_signed_in_to_their_dashboard(client):
    assert client.get(reverse("home")).status_code == 200
    client.force_login(make_user())
    assert client.get(reverse("home"))["Location"] == reverse("dashboard")
