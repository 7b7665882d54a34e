"""The reading view of a submitted application (eplus.applications.reading) for officers and experts: every
answered field of every section under its form label, choices by name, work packages as a table, the
organisations with role, country, OID and registration status, and the annexes to open — only those the
submission holds, only for the people who may read the application."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from eplus.applications import forms as section_forms
from eplus.applications.reading import read_submission
from eplus.applications.submission import submit
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare
from eplus.evaluation.models import AssignmentRole, Case
from eplus.organisations.models import Role
from tests.factories import log_in_reauthenticated, make_officer, make_organisation, make_user
from tests.fuzz.world import filled_draft_application

from . import factories as f


@pytest.fixture
def submitted_case(programme, monkeypatch):
    """A fully filled 2027 KA220 application, submitted, and its case once the deadline has passed."""
    coordinator = make_user()
    applicant = make_organisation("LV", member=coordinator, certified=True)
    contact = make_user()
    partners = [make_organisation(c, member=person, role=Role.CONTACT_PERSON, certified=True)
                for c, person in (("LT", contact), ("EE", make_user()))]
    application = filled_draft_application(coordinator, applicant, partners, contact)
    submit(application, coordinator)
    after = application.call.deadline + timedelta(hours=1)
    monkeypatch.setattr("eplus.core.time.now", lambda: after)
    open_cases(now=after)
    return Case.objects.select_related("application", "submission").get(application=application)


def _expected_answers(case):
    """(label, shown value) of every answered field, walking the section forms themselves."""
    application = case.application
    sections = case.submission.snapshot["sections"]
    expected = []
    for key, form_class in section_forms.SIMPLE_FORMS.items():
        kwargs = {"application": application} if key in ("context", "relevance") else {}
        form = form_class(**kwargs)
        data = sections[key]["data"]
        for name, field in form.fields.items():
            value = data.get(name)
            if value in (None, "", [], False):
                continue
            if hasattr(field, "choices"):
                names = {str(code): str(label) for code, label in field.choices}
                shown = [names[str(v)] for v in (value if isinstance(value, list) else [value])]
            elif value is True:
                shown = ["Yes"]
            else:
                shown = None  # dates and amounts are formatted: checked by the read model below
            expected.append((key, name, str(field.label), shown))
    return expected


def test_every_answered_field_appears_with_its_label_and_value_for_the_officer(client, submitted_case):
    case = submitted_case
    officer = make_officer()
    log_in_reauthenticated(client, officer)
    page = client.get(reverse("evaluation:case_application", args=[case.pk])).content.decode()
    expected = _expected_answers(case)
    assert len(expected) >= 15  # the world's draft answers every section
    for _key, _name, label, shown in expected:
        assert escape(label) in page, label
        for value in shown or []:
            assert escape(value) in page, (label, value)
    reading = read_submission(case.submission)
    answers = {(s.key, a.name): a for s in reading.sections for a in s.answers}
    for key, name, label, _shown in expected:
        answer = answers[(key, name)]
        assert answer.label == label and (answer.value or answer.values)
        assert escape(answer.value) in page or all(escape(v) in page for v in answer.values)
    # Codes never appear instead of names: the priority's code is not on the page, its name is.
    priority = case.submission.snapshot["sections"]["relevance"]["data"]["priorities"][0]
    assert priority not in page
    assert "250\u202f000.00 EUR" in page  # the lump sum by its name, not "250000.00"


def test_work_packages_organisations_and_submission_facts(client, submitted_case):
    case = submitted_case
    log_in_reauthenticated(client, make_officer())
    page = client.get(reverse("evaluation:case_application", args=[case.pk])).content.decode()
    for n in (1, 2, 3):
        assert f"WP {n}" in page
    assert "Amount of the work package" in page and "Total: 250\u202f000.00 EUR" in page
    for organisation in case.application.participations.select_related("organisation", "organisation__country"):
        o = organisation.organisation
        assert escape(o.legal_name) in page and o.oid in page and escape(o.country.name) in page
        assert o.get_absolute_url() in page
    assert "Certified" in page
    assert case.submission.sha256 in page and case.application.number in page
    # The case page links to it, and names the applicant with its registration status.
    case_page = client.get(case.get_absolute_url()).content.decode()
    assert reverse("evaluation:case_application", args=[case.pk]) in case_page
    assert case.application.applicant.get_absolute_url() in case_page


def test_annexes_open_for_the_officer_and_the_declared_expert_only(client, submitted_case):
    case = submitted_case
    annex = case.application.annexes.first()
    officer = make_officer()
    log_in_reauthenticated(client, officer)
    url = reverse("evaluation:case_annex", args=[case.pk, annex.pk])
    page = client.get(reverse("evaluation:case_application", args=[case.pk])).content.decode()
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")

    expert = f.expert()
    confirm_formal_check(case, True, "Checked by hand in the test.", officer)
    assignment = assign(case, expert, AssignmentRole.FIRST, officer)
    log_in_reauthenticated(client, expert)
    expert_url = reverse("evaluation:assessment_annex", args=[assignment.pk, annex.pk])
    assert client.get(expert_url).status_code in (302, 403, 404)  # no declaration yet: no access
    declaration = client.get(reverse("evaluation:assessment", args=[assignment.pk])).content.decode()
    for organisation in case.application.participations.select_related("organisation"):
        assert escape(organisation.organisation.legal_name) in declaration
    assert escape(case.application.title) in declaration and case.application.number in declaration
    declare(assignment, True, "", expert)
    page = client.get(reverse("evaluation:assessment", args=[assignment.pk])).content.decode()
    assert expert_url in page and "Project duration in months" in page
    assert "0 to 30 points" in page and "E+" not in page
    response = client.get(expert_url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    # An annex added after the submission is not part of what is assessed.
    later = case.application.annexes.create(kind=annex.kind, file=annex.file.name, original_name="later.pdf",
                                            size=annex.size, sha256="f" * 64, content_type="application/pdf")
    assert client.get(reverse("evaluation:assessment_annex", args=[assignment.pk, later.pk])).status_code == 404
    log_in_reauthenticated(client, make_officer("EE01"))  # an officer of another agency
    assert client.get(url).status_code == 404
    assert client.get(reverse("evaluation:case_application", args=[case.pk])).status_code == 404
