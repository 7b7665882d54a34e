"""Fixtures of the projects tests: the real 2026 reference data, an applicant and a partner organisation,
a submitted application (snapshot with work packages or activities) and the project made from it."""

import itertools
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from eplus.applications.models import Application, Participation, Submission
from eplus.organisations.models import Membership, Role
from eplus.programme.models import Agency, Call
from tests.factories import PDF, make_officer, make_organisation, make_user

# Numbered from 900000001: apart from the evaluation factories' applications (tests/fuzz/world.py makes both).
_n = itertools.count(900_000_001)


KA220_WPS = [("Project management", "50000"), ("Training programme", "100000"), ("Pilot courses", "100000")]
KA210_ACTS = [("Kick-off meeting", "20000"), ("Job shadowing", "40000")]


def make_application(action="KA220", *, lump_sum="250000", applicant=None, partners=(), items=None,
                     start=date(2026, 9, 1), months=24, title=None):
    call = Call.objects.get(year=2026, action__code=action, round=1)
    n = next(_n)
    application = Application.objects.create(
        call=call, action=call.action, sector="VET", agency=Agency.objects.get(code="LV01"), applicant=applicant,
        number=f"2026-1-LV01-{action}-VET-{n:09d}", status="submitted", language="en",
        title=title or f"Green skills for welders {n}", lump_sum=Decimal(lump_sum), start_date=start,
        duration_months=months)
    Participation.objects.create(application=application, organisation=applicant, role="applicant", order=0)
    for order, partner in enumerate(partners, start=1):
        Participation.objects.create(application=application, organisation=partner, role="partner", order=order)
    if items is None:
        items = KA220_WPS if action == "KA220" else KA210_ACTS
    if action == "KA220":
        design = [{"title": t, "objectives": "o", "activities": f"Activities of {t}", "results": f"Results of {t}",
                   "indicators": "i", "amount": a} for t, a in items]
    else:
        design = [{"title": t, "description": f"About {t}", "start": "2026-10-01", "end": "2026-10-05",
                   "venue": "Riga, LV", "participants": "12", "amount": a} for t, a in items]
    snapshot = {"number": application.number, "title": application.title, "sections": {
        "design": {"version": 1, "data": {"items": design}},
        "impact": {"version": 1, "data": {"impact": "Welders learn green skills.", "dissemination": "Open courses."}},
        "summary": {"version": 1, "data": {"objectives": "Objectives in English.", "implementation": "How.",
                                           "results": "A curriculum."}},
    }}
    Submission.objects.create(application=application, number=application.number,
                              submitted_at=datetime(2026, 3, 1, 10, tzinfo=timezone.utc), snapshot=snapshot,
                              sha256="0" * 64, is_current=True)
    return application


@pytest.fixture
def people(programme):
    """The coordinator's legal representative, a partner's contact person, an outsider and an officer."""
    coordinator = make_user("coordinator@example.org", first_name="Ilze", last_name="Coordinator")
    member = make_user("member@example.org", first_name="Anna", last_name="Member")
    partner = make_user("partner@example.org", first_name="Tomas", last_name="Partner")
    outsider = make_user("outsider@example.org", first_name="Olev", last_name="Outsider")
    applicant = make_organisation("LV", "Daugava Welding School", coordinator, certified=True)
    Membership.objects.create(organisation=applicant, user=member, role=Role.MEMBER)
    partner_org = make_organisation("LT", "Nemunas Training Centre", partner, role=Role.CONTACT_PERSON,
                                    certified=True)
    make_organisation("EE", "Other Organisation", outsider, certified=True)
    return {"coordinator": coordinator, "member": member, "partner": partner, "outsider": outsider,
            "applicant": applicant, "partner_org": partner_org, "officer": make_officer("LV01")}


@pytest.fixture
def ka220(people):
    from eplus.projects.creation import create_project

    application = make_application("KA220", lump_sum="250000", applicant=people["applicant"],
                                   partners=[people["partner_org"]])
    return create_project(application, signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1),
                          end_date=date(2028, 8, 31), lump_sum=Decimal("250000"), agreement_pdf=PDF,
                          created_by=people["officer"])


@pytest.fixture
def ka210(people):
    from eplus.projects.creation import create_project

    application = make_application("KA210", lump_sum="60000", applicant=people["applicant"],
                                   partners=[people["partner_org"]], months=12)
    return create_project(application, signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1),
                          end_date=date(2026, 8, 31), lump_sum=Decimal("60000"), created_by=people["officer"])
