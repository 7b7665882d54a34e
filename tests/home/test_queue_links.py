"""The officer's work-queue links land on pages that list exactly what the home page counts: the applications
without two experts (the workspace's ``experts=missing`` filter) and the payments due (a section of the agency's
project queue, each payment linked to the project page where it is marked paid)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from eplus.applications.models import IncidentReport, IncidentStatus
from eplus.core import time as clock
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AgreementStatus, AssignmentRole, Case, CaseState, DecisionStatus, GrantAgreement
from eplus.projects.models import PaymentStatus
from tests.evaluation import factories as f
from tests.factories import make_officer
from tests.home.test_dashboard import project_of, queue

CASE_LINK = re.compile(r'<td><a href="/agency/cases/(?P<pk>\d+)/">')
PAYMENT_ROW = re.compile(r'<tr data-payment="(?P<pk>\d+)">(?P<row>.*?)</tr>', re.S)


def listed_cases(client, url):
    page = client.get(url)
    assert page.status_code == 200, url
    return {int(m["pk"]) for m in CASE_LINK.finditer(page.content.decode())}


def assessed_case(officer):
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    case.refresh_from_db()
    assert case.state == CaseState.ASSESSMENT
    return case


@pytest.mark.django_db
def test_the_experts_link_lists_exactly_the_cases_it_counts(client, programme):
    officer = make_officer("LV01")
    one, two, three = f.expert(), f.expert(), f.expert()
    none = assessed_case(officer)
    half = assessed_case(officer)
    assign(half, one, AssignmentRole.FIRST, officer)
    full = assessed_case(officer)
    assign(full, one, AssignmentRole.FIRST, officer)
    assign(full, two, AssignmentRole.SECOND, officer)
    conflicted = assessed_case(officer)  # two experts, but one declared a conflict: it needs another
    assign(conflicted, one, AssignmentRole.FIRST, officer)
    declare(assign(conflicted, two, AssignmentRole.SECOND, officer), False, "My cousin wrote it.", two)
    declared = assessed_case(officer)  # two experts, one declared no conflict: complete
    declare(assign(declared, one, AssignmentRole.FIRST, officer), True, "", one)
    assign(declared, three, AssignmentRole.SECOND, officer)
    late = assessed_case(officer)  # an accepted incident report still lets the applicant submit: not yet
    IncidentReport.objects.create(application=late.application, call=late.call, agency=late.agency,
                                  description="The portal did not answer.", status=IncidentStatus.ACCEPTED,
                                  reported_at=late.call.deadline - timedelta(minutes=5),
                                  late_until=clock.now() + timedelta(hours=2))
    f.opened_case()  # in its formal check: no experts yet, but not counted
    consolidating = f.opened_case()
    Case.objects.filter(pk=consolidating.pk).update(state=CaseState.CONSOLIDATION)
    make_officer("LT01")

    count, url, label = queue(client, officer)["experts"]
    assert url == f"{reverse('evaluation:workspace')}?status=assessment&experts=missing"
    expected = {none.pk, half.pk, conflicted.pk}
    assert count == len(expected) == 3 and label == "3 applications without two experts"
    assert listed_cases(client, url) == expected
    # Without the filter, every case in assessment is listed (the complete ones too).
    assert listed_cases(client, _url(status="assessment")) == expected | {full.pk, declared.pk, late.pk}

    # The filter is on the form, labelled and chosen; the export follows it.
    page = client.get(url).content.decode()
    assert '<label for="id_experts">Experts</label>' in page
    assert 'aria-describedby="id_experts_helptext"' in page
    assert '<option value="missing" selected>Fewer than two experts</option>' in page
    export = b"".join(client.get(reverse("evaluation:export", args=["csv"]) + "?experts=missing").streaming_content)
    assert sorted(line.split(b",")[0] for line in export.splitlines()[1:]) == sorted(
        Case.objects.get(pk=pk).application.number.encode() for pk in expected)

    # The count and the list move together.
    assign(none, one, AssignmentRole.FIRST, officer)
    assign(none, two, AssignmentRole.SECOND, officer)
    count, url, _label = queue(client, officer)["experts"]
    assert count == 2 and listed_cases(client, url) == expected - {none.pk}


def _url(**filters):
    from django.utils.http import urlencode

    return f"{reverse('evaluation:workspace')}?{urlencode(filters)}"


@pytest.mark.django_db
def test_an_unknown_experts_filter_is_a_message_not_an_error(client, programme):
    officer = make_officer("LV01")
    assessed_case(officer)
    client.force_login(officer)
    page = client.get(_url(experts="<script>"))
    assert page.status_code == 200
    assert "Select a valid choice." in page.content.decode()


def selected_project(officer):
    case = f.opened_case()
    Case.objects.filter(pk=case.pk).update(state=CaseState.SCORED, decision_status=DecisionStatus.RELEASED,
                                           outcome="selected")
    GrantAgreement.objects.create(case=case, status=AgreementStatus.COUNTERSIGNED, start_date=date(2026, 9, 1),
                                  end_date=date(2028, 8, 31), lump_sum=Decimal("250000"))
    return project_of(case.application, officer)


def listed_payments(client, url):
    page = client.get(url)
    assert page.status_code == 200, url
    return {int(m["pk"]): m["row"] for m in PAYMENT_ROW.finditer(page.content.decode())}


@pytest.mark.django_db
def test_the_payments_link_lists_the_payments_due_with_where_to_mark_them_paid(client, programme):
    officer = make_officer("LV01")
    projects = [selected_project(officer) for _ in range(3)]
    from eplus.projects.payments import mark_paid

    mark_paid(projects[0].payments.get(status=PaymentStatus.DUE), officer)
    due = {p.pk: p for project in projects for p in project.payments.filter(status=PaymentStatus.DUE)}
    assert len(due) == 2

    count, url, label = queue(client, officer)["payments"]
    assert url == reverse("projects:agency_queue") + "#payments-due"
    assert count == len(due) and label == "2 payments due"
    rows = listed_payments(client, url.split("#")[0])
    assert set(rows) == set(due)
    page = client.get(reverse("projects:agency_queue")).content.decode()
    assert 'id="payments-due"' in page and 'aria-labelledby="payments-due-title"' in page
    for pk, row in rows.items():
        payment = due[pk]
        project_url = reverse("projects:agency_project", args=[payment.project_id])
        assert payment.project.number in row and payment.get_kind_display() in row and str(payment.amount) in row
        assert f'href="{project_url}#payments-title"' in row
        assert f"Mark as paid on the page of {payment.project.number}" in row
        # The link lands where the officer marks it paid.
        detail = client.get(project_url).content.decode()
        assert f'name="payment" value="{pk}"' in detail and 'value="paid"' in detail

    # Marked paid: it leaves the count and the list together; another agency's officer sees none of them.
    mark_paid(next(iter(due.values())), officer)
    count, url, _label = queue(client, officer)["payments"]
    assert count == 1 and len(listed_payments(client, url.split("#")[0])) == 1
    other = make_officer("LT01")
    count, url, _label = queue(client, other)["payments"]
    assert count == 0 and listed_payments(client, url.split("#")[0]) == {}
    assert "No payment is due." in client.get(url.split("#")[0]).content.decode()
