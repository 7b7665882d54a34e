"""Pages: permissions (404 for other agencies and for experts on applications not assigned to them), the
workspace filters and exports, the expert's declaration gate, the applicant's decision page, N+1 guards."""

import csv
import io

import pytest
from django.urls import reverse

from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.decisions import release, stage_decisions
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.ranking import run_selection
from eplus.evaluation.models import AssignmentRole, Case, Outcome
from eplus.applications.models import Application
from eplus.organisations.models import Organisation
from eplus.programme.models import Agency

from . import factories as f

pytestmark = pytest.mark.django_db


def _cases(n, **kw):
    apps = [f.submitted(**kw) for _ in range(n)]
    open_cases()
    return [Case.objects.get(application=a) for a in apps]


def _expert():
    person = f.with_mfa(f.user())
    register_expert(Agency.objects.get(code="LV01"), email=person.email, first_name="E", last_name="X",
                             languages=["en"], sectors=["VET"])
    return person


# --- permissions -----------------------------------------------------------------------------------------

def test_officer_of_another_agency_gets_404(client, programme):
    case = _cases(1)[0]
    other = f.officer("LV02")
    client.force_login(other)
    assert client.get(reverse("evaluation:case", args=[case.pk])).status_code == 404
    page = client.get(reverse("evaluation:workspace"))
    assert page.status_code == 200 and case.application.number not in page.content.decode()
    own = f.officer("LV01")
    client.force_login(own)
    assert client.get(reverse("evaluation:case", args=[case.pk])).status_code == 200
    assert case.application.number in client.get(reverse("evaluation:workspace")).content.decode()


def test_non_staff_cannot_open_the_workspace(client, programme):
    client.force_login(f.with_mfa(f.user()))
    assert client.get(reverse("evaluation:workspace")).status_code == 404


def test_expert_cannot_open_an_application_not_assigned_even_by_guessing(client, programme):
    officer = f.officer()
    mine, other = _cases(2)
    for case in (mine, other):
        confirm_formal_check(case, True, "", officer)
    expert, colleague = _expert(), _expert()
    a = assign(mine, expert, AssignmentRole.FIRST, officer)
    b = assign(other, colleague, AssignmentRole.FIRST, officer)
    client.force_login(expert)
    assert client.get(reverse("evaluation:assessment", args=[b.pk])).status_code == 404
    assert client.get(reverse("evaluation:assessment", args=[b.pk + 1000])).status_code == 404
    assert client.get(reverse("evaluation:case", args=[other.pk])).status_code == 404
    listing = client.get(reverse("evaluation:expert_assignments")).content.decode()
    assert mine.application.number in listing and other.application.number not in listing

    # The declaration gates access: the application's text is not shown before it.
    page = client.get(reverse("evaluation:assessment", args=[a.pk])).content.decode()
    assert "Conflict-of-interest declaration" in page and mine.submission.snapshot["sections"]["relevance"][
        "data"]["needs"][:30] not in page
    response = client.post(reverse("evaluation:assessment", args=[a.pk]), {"no_conflict": "no", "note": ""})
    assert response.status_code == 400 and "Describe the conflict" in response.content.decode()
    client.post(reverse("evaluation:assessment", args=[a.pk]), {"no_conflict": "yes"})
    page = client.get(reverse("evaluation:assessment", args=[a.pk])).content.decode()
    assert mine.submission.snapshot["sections"]["relevance"]["data"]["needs"][:30] in page

    # Bad scores: a clear message, what was typed kept.
    data = {"score_relevance": "12.25", "score_design": "20", "score_partnership": "15", "score_impact": "abc",
            "comment_relevance": "Good", "submit": "1"}
    response = client.post(reverse("evaluation:assessment", args=[a.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "steps of 0.5" in body and "as a number" in body and 'value="12.25"' in body


def test_inactive_expert_sees_nothing(client, programme):
    officer = f.officer()
    case = _cases(1)[0]
    confirm_formal_check(case, True, "", officer)
    expert = _expert()
    a = assign(case, expert, AssignmentRole.FIRST, officer)
    from eplus.programme.models import AgencyMembership

    membership = AgencyMembership.objects.get(user=expert, role="expert")
    membership.active = False
    membership.save()
    client.force_login(expert)
    assert client.get(reverse("evaluation:assessment", args=[a.pk])).status_code == 404


def test_applicant_sees_only_a_released_decision(client, programme):
    coordinator = f.with_mfa(f.user())
    app = f.submitted(coordinator=coordinator)
    open_cases()
    case = Case.objects.get(application=app)
    officer = f.officer()
    confirm_formal_check(case, False, "Too few partners.", officer)
    run_selection(case.agency, case.call, "VET", officer)
    client.force_login(coordinator)
    url = reverse("evaluation:decision", args=[app.pk])
    assert client.get(url).status_code == 404  # not released yet
    staged = stage_decisions(case.agency, case.call, "VET", officer)
    assert client.get(url).status_code == 404
    release(staged, officer)
    page = client.get(url).content.decode()
    assert "Rejected" in page and "Too few partners." in page
    stranger = f.user()
    client.force_login(stranger)
    assert client.get(url).status_code == 404


# --- workspace, filters, exports -------------------------------------------------------------------------

def test_workspace_filters_and_exports(client, programme):
    ka220 = _cases(2)
    ka210 = _cases(1, action="KA210", lump_sum="60000.00")
    client.force_login(f.officer())
    page = client.get(reverse("evaluation:workspace"), {"action": "KA210"}).content.decode()
    assert ka210[0].application.number in page and ka220[0].application.number not in page
    response = client.get(reverse("evaluation:export", args=["csv"]), {"action": "KA220"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "number" and {r[0] for r in rows[1:]} == {c.application.number for c in ka220}
    response = client.get(reverse("evaluation:export", args=["xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert numbers == {c.application.number for c in ka220 + ka210}


def test_the_workspace_exports_hold_hostile_titles_and_names_as_text(client, programme):
    from tests.exports_check import HOSTILE, assert_csv_is_safe, assert_xlsx_is_safe

    case = _cases(1)[0]
    Application.objects.filter(pk=case.application_id).update(title=HOSTILE)
    Organisation.objects.filter(pk=case.application.applicant_id).update(legal_name="@SUM(A1:A9)")
    client.force_login(f.officer())
    csv_text = b"".join(client.get(reverse("evaluation:export", args=["csv"])).streaming_content).decode()
    assert_csv_is_safe(csv_text, HOSTILE, "@SUM(A1:A9)")
    assert_xlsx_is_safe(client.get(reverse("evaluation:export", args=["xlsx"])).content, HOSTILE, "@SUM(A1:A9)")


def test_formal_check_form_keeps_input_and_explains(client, programme):
    case = _cases(1)[0]
    client.force_login(f.officer())
    response = client.post(reverse("evaluation:formal_check", args=[case.pk]), {"decision": "ineligible",
                                                                                  "reason": ""})
    assert response.status_code == 400
    assert "Give the reason why the application is ineligible" in response.content.decode()


def test_ranking_page_shows_chart_with_a_text_alternative(client, programme):
    officer = f.officer()
    cases = _cases(2, lump_sum="120000.00")
    s = {"relevance": "20", "design": "25", "partnership": "15", "impact": "20"}
    for case in cases:
        confirm_formal_check(case, True, "", officer)
        for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
            e = _expert()
            a = assign(case, e, role, officer)
            declare(a, True, "", e)
            save_assessment(a, s, {k: "ok" for k in s}, e, submit=True)
    client.force_login(officer)
    url = reverse("evaluation:ranking", args=[cases[0].call_id, "VET"])
    client.post(url, {})
    body = client.get(url).content.decode()
    assert "<svg" in body and "<title" in body and "style=" not in body
    assert body.count('class="bar bar-selected"') == 2
    response = client.post(reverse("evaluation:manual_change", args=[cases[0].call_id, "VET", cases[0].pk]),
                           {"outcome": "reserve", "reason": ""})
    assert response.status_code == 400
    assert Case.objects.get(pk=cases[0].pk).outcome == Outcome.SELECTED


# --- N+1 guards ------------------------------------------------------------------------------------------

def _queries(client, url, django_assert_max_num_queries=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["workspace", "ranking"])
def test_officer_lists_do_not_grow_with_items(client, programme, page):
    officer = f.officer()
    client.force_login(officer)
    one = _cases(1)
    url = (reverse("evaluation:workspace") if page == "workspace"
           else reverse("evaluation:ranking", args=[one[0].call_id, "VET"]))
    _queries(client, url)  # warm caches (sessions, MFA)
    first = _queries(client, url)
    _cases(2)
    third = _queries(client, url)
    assert third == first


def test_expert_list_does_not_grow_with_items(client, programme):
    officer = f.officer()
    expert = _expert()
    cases = _cases(3)
    for case in cases:
        confirm_formal_check(case, True, "", officer)
    assign(cases[0], expert, AssignmentRole.FIRST, officer)
    client.force_login(expert)
    url = reverse("evaluation:expert_assignments")
    _queries(client, url)
    first = _queries(client, url)
    for case in cases[1:]:
        assign(case, expert, AssignmentRole.FIRST, officer)
    assert _queries(client, url) == first


def test_api_lists_are_scoped(client, programme):
    case = _cases(1)[0]
    client.force_login(f.officer("LV02"))
    assert client.get("/api/v1/agency/cases").json() == []
    client.force_login(f.officer("LV01"))
    rows = client.get("/api/v1/agency/cases").json()
    assert [r["number"] for r in rows] == [case.application.number]
    expert = _expert()
    client.force_login(expert)
    assert client.get("/api/v1/agency/cases").status_code == 404  # not an officer: no back office
    assert client.get("/api/v1/agency/assignments").json() == []
    client.logout()
    assert client.get("/api/v1/agency/assignments").status_code == 401
