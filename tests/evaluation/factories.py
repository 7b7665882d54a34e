"""Helpers for the evaluation tests: submitted applications (ORM + a Submission row); the people, officers
and organisations come from tests.factories."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

from eplus.applications.models import Application, Participation, Submission
from eplus.applications.snapshots import sha256_of
from eplus.core import time as clock
from eplus.programme.models import Agency, Call
from tests.factories import make_officer as officer  # noqa: F401 - f.officer() in the tests
from tests.factories import make_organisation as organisation
from tests.factories import make_user as user  # noqa: F401 - f.user() in the tests
from tests.factories import with_mfa  # noqa: F401 - f.with_mfa() in the tests

_n = itertools.count(1)

TEXTS = [
    "Our vocational schools will design open training modules on solar panel installation for adult "
    "learners in rural regions, test them with local employers and publish a shared curriculum.",
    "The partnership builds a digital toolkit for teachers of hospitality who mentor apprentices in small "
    "family hotels, with video case studies recorded in three countries and an online course.",
    "Carpentry workshops across the partner colleges will exchange methods for teaching sustainable timber "
    "construction, produce a handbook for trainers and organise joint summer schools for students.",
    "Care workers in elderly homes receive micro-credentials on dementia communication through blended "
    "learning developed by nursing schools, municipalities and two associations of families together.",
]


def call(action="KA220", year=2026):
    return Call.objects.get(year=year, action__code=action, round=1)


def submitted(action="KA220", sector="VET", agency="LV01", lump_sum="250000.00", text=None, coordinator=None,
              partners=None, language="en", title=None, priorities=("HOR-INCLUSION",)):
    """A submitted application with its current submission (snapshot with prose for the similarity check, and
    the priority the eligibility engine asks for; ``priorities=()`` makes it ineligible)."""
    the_call = call(action)
    agency_obj = Agency.objects.get(code=agency)
    n = next(_n)
    applicant = organisation("LV", member=coordinator)
    partners = partners if partners is not None else [organisation("EE"), organisation("LT")]
    app = Application.objects.create(
        call=the_call, action=the_call.action, sector=sector, agency=agency_obj, applicant=applicant,
        number=f"2026-1-{agency}-{action}-{sector}-{n:09d}", status="submitted", language=language,
        title=title or f"Project {n}", start_date=date(2026, 9, 1), duration_months=24 if action == "KA220" else 12,
        lump_sum=Decimal(lump_sum), submitted_at=the_call.deadline - timedelta(days=1, minutes=n))
    Participation.objects.create(application=app, organisation=applicant, role="applicant", order=0)
    for i, p in enumerate(partners, 1):
        Participation.objects.create(application=app, organisation=p, role="partner", order=i)
    snapshot = {
        "number": app.number, "title": app.title, "language": language, "action": action, "sector": sector,
        "agency": agency, "submitted_at": app.submitted_at.isoformat(),
        "organisations": [{"oid": o.oid, "role": r, "legal_name": o.legal_name, "country": o.country_id}
                          for o, r in [(applicant, "applicant")] + [(p, "partner") for p in partners]],
        "sections": {"relevance": {"version": 1, "data": {"needs": text or TEXTS[n % len(TEXTS)] + f" Ref {n}.",
                                                         "priorities": list(priorities)}}},
    }
    Submission.objects.create(application=app, number=app.number, submitted_at=app.submitted_at,
                              snapshot=snapshot, sha256=sha256_of(snapshot), is_current=True)
    return app


def now():
    return clock.now()


GOOD_SCORES = {"relevance": "20", "design": "25", "partnership": "15", "impact": "20"}  # 80 of a KA220 call


def opened_case(**kw):
    """A submitted application (see :func:`submitted`) and its case, opened as the sweep opens it."""
    from eplus.evaluation.cases import open_cases
    from eplus.evaluation.models import Case

    app = submitted(**kw)
    open_cases()
    return Case.objects.get(application=app)


def expert(sectors=("VET",), agency="LV01"):
    """A registered expert of ``agency`` (English, the given fields), with a second factor."""
    from eplus.evaluation.experts import register_expert

    person = with_mfa(user())
    register_expert(Agency.objects.get(code=agency), email=person.email, first_name="E", last_name="X",
                    languages=["en"], sectors=list(sectors))
    return person
