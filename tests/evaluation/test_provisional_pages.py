"""Provisional calls are marked provisional on every page that shows them (issue 13): the back office's case
page and its reading view, the expert's assignments, declaration and assessment, the similarity page, the
budget envelopes, the technical-incident reports and the submission PDF — and a call that is not provisional
carries no mark. The badge is text ("Provisional"), beside the call's name."""

import re

import pytest
from django.urls import reverse

from eplus.applications.models import IncidentReport, Submission
from eplus.applications.tasks import render_submission_pdf
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AssignmentRole
from eplus.programme.models import Agency, AgencyMembership, BudgetEnvelope, Call
from tests.factories import log_in_reauthenticated
from tests.samples import PDF

from . import factories as f

pytestmark = pytest.mark.django_db
BADGE = ">Provisional</span>"


def _mark(call, provisional):
    Call.objects.filter(pk=call.pk).update(provisional=provisional)


@pytest.fixture
def world(programme):
    """A case of a 2026 call (not provisional) with an expert who has declared no conflict, and its officer."""
    case = f.opened_case()
    officer = f.officer()
    confirm_formal_check(case, True, "Checked by hand in the test.", officer)
    expert = f.expert()
    assignment = declare(assign(case, expert, AssignmentRole.FIRST, officer), True, "", expert)
    return {"case": case, "officer": officer, "expert": expert, "assignment": assignment}


def _pages(client, world):
    """{name: HTML} of every page of the case's call, each read by whom may read it."""
    case, assignment = world["case"], world["assignment"]
    log_in_reauthenticated(client, world["officer"])
    pages = {name: client.get(url).content.decode() for name, url in {
        "case": case.get_absolute_url(),
        "reading": reverse("evaluation:case_application", args=[case.pk]),
        "similarity": reverse("evaluation:similarity", args=[case.call_id]),
        "workspace": reverse("evaluation:workspace"),
        "ranking": reverse("evaluation:ranking", args=[case.call_id, case.sector]),
    }.items()}
    log_in_reauthenticated(client, world["expert"])
    pages.update({name: client.get(url).content.decode() for name, url in {
        "assessment": reverse("evaluation:assessment", args=[assignment.pk]),
        "assignments": reverse("evaluation:expert_assignments"),
        "dashboard": reverse("dashboard"),
    }.items()})
    return pages


def test_the_case_pages_mark_a_provisional_call_and_only_it(client, world):
    for name, page in _pages(client, world).items():
        assert BADGE not in page, name
    _mark(world["case"].call, True)
    pages = _pages(client, world)
    for name, page in pages.items():
        assert BADGE in page, name
    assert "2026 KA220, round 1 <span" in pages["case"]  # beside the call's name
    assert "2026 KA220, round 1 <span" in pages["reading"]


def test_the_declaration_marks_a_provisional_call(client, programme):
    case = f.opened_case()
    officer = f.officer()
    confirm_formal_check(case, True, "Checked by hand in the test.", officer)
    expert = f.expert()
    assignment = assign(case, expert, AssignmentRole.FIRST, officer)
    log_in_reauthenticated(client, expert)
    url = reverse("evaluation:assessment", args=[assignment.pk])
    page = client.get(url).content.decode()
    assert "Conflict-of-interest declaration" in page and "2026 KA220, round 1" in page and BADGE not in page
    _mark(case.call, True)
    assert "2026 KA220, round 1 <span" in client.get(url).content.decode()


def _admin():
    person = f.with_mfa(f.user())
    AgencyMembership.objects.create(user=person, agency=Agency.objects.get(code="LV01"), role="admin")
    return person


def _after(page, text, end="</td>"):
    """What follows ``text`` in its table cell (or up to ``end``)."""
    return re.search(re.escape(text) + "(.*?)" + end, page, re.S).group(1)


def test_the_envelope_pages_mark_the_envelopes_of_a_provisional_call(client, programme):
    mine = BudgetEnvelope.objects.select_related("call__action").get(
        agency__code="LV01", call__year=2026, call__action__code="KA220", call__round=1, sector="VET")
    log_in_reauthenticated(client, _admin())
    detail = reverse("evaluation:envelope", args=[mine.pk])
    listing, transfer = reverse("evaluation:envelopes"), reverse("evaluation:envelope_transfer")
    link = f'{reverse("evaluation:envelope", args=[mine.pk])}">2026 KA220</a>'
    assert BADGE not in client.get(detail).content.decode()
    assert BADGE not in _after(client.get(listing).content.decode(), link)
    before = client.get(transfer).content.decode().count(BADGE)
    _mark(mine.call, True)
    assert "2026 KA220 <span" in client.get(detail).content.decode()
    assert BADGE in _after(client.get(listing).content.decode(), link)
    page = client.get(transfer).content.decode()
    envelopes_of_call = BudgetEnvelope.objects.filter(call=mine.call, agency__code="LV01").count()
    assert page.count(BADGE) == before + envelopes_of_call
    assert f'<option value="{mine.pk}">{mine} (provisional)</option>' in page  # a choice cannot hold a badge
    new = client.get(reverse("evaluation:envelope_new")).content.decode()
    assert f'<option value="{mine.call.pk}">{mine.call} (provisional)</option>' in new


def test_the_incident_reports_mark_a_provisional_call(client, programme):
    application = f.submitted()
    IncidentReport.objects.create(application=application, call=application.call, agency=application.agency,
                                  description="The upload stalled.", reported_at=application.call.deadline)
    log_in_reauthenticated(client, f.officer())
    url = reverse("applications:agency_incidents")
    assert BADGE not in _after(client.get(url).content.decode(), f"<dd>{application.call}", "</dd>")
    _mark(application.call, True)
    assert BADGE in _after(client.get(url).content.decode(), f"<dd>{application.call}", "</dd>")


def test_the_submission_pdf_names_the_call_with_its_mark(programme, monkeypatch):
    rendered = []

    class FakeHTML:
        def __init__(self, string):
            rendered.append(string)

        def write_pdf(self):
            return PDF

    monkeypatch.setattr("weasyprint.HTML", FakeHTML)
    plain, marked = f.submitted(), f.submitted(action="KA210", lump_sum="60000.00")
    _mark(marked.call, True)
    for application in (plain, marked):
        render_submission_pdf.call(Submission.objects.get(application=application).pk)
    assert "2026 KA220, round 1" in rendered[0] and BADGE not in rendered[0]
    assert "2026 KA210, round 1 <span" in rendered[1] and BADGE in rendered[1]
