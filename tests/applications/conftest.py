from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from eplus.organisations.models import Role
from eplus.programme.models import Call, Priority, Topic
from tests.factories import make_organisation, make_user, pdf_file

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def clock(monkeypatch):
    """Move eplus.core.time.now(); starts on 25 Nov 2026 10:00 Brussels."""
    state = {"now": datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)}
    monkeypatch.setattr("eplus.core.time.now", lambda: state["now"])

    def set_to(value):
        state["now"] = value
        return value

    set_to.state = state
    return set_to


@pytest.fixture
def ka220(programme):
    return Call.objects.select_related("action").get(year=2027, action__code="KA220", round=1)


@pytest.fixture
def ka210(programme):
    return Call.objects.select_related("action").get(year=2027, action__code="KA210", round=1)


@pytest.fixture
def coordinator(db):
    return make_user(first_name="Maija", last_name="Coordinator")


@pytest.fixture
def applicant_org(programme, coordinator):
    return make_organisation("LV", member=coordinator, legal_name="Fictional Riga VET School")


@pytest.fixture
def partner_user(db):
    return make_user(first_name="Jonas", last_name="Partner")


@pytest.fixture
def partners(programme, partner_user):
    return [make_organisation("LT", member=partner_user, legal_name="Fictional Vilnius College",
                              role=Role.CONTACT_PERSON),
            make_organisation("EE", legal_name="Fictional Tartu Centre")]


@pytest.fixture
def application(clock, ka220, applicant_org, coordinator):
    from eplus.applications.creation import create_application

    return create_application(coordinator, applicant_org, ka220, "VET")


def priority_code(sector="VET"):
    return Priority.objects.filter(active=True, sector="").order_by("position").values_list("code", flat=True)[0]


def topic_codes(n=2):
    return list(Topic.objects.filter(active=True).order_by("position").values_list("code", flat=True)[:n])


def context_data(**overrides):
    data = {"language": "en", "title": "Green skills for fictional workshops", "start_date": "2027-09-01",
            "duration_months": "24", "lump_sum": "250000.00"}
    data.update(overrides)
    return data


def wp_data(amounts=("50000.00", "100000.00", "100000.00")):
    items = []
    for index, amount in enumerate(amounts):
        items.append({"title": f"WP {index + 1}", "objectives": "Objectives", "activities": "Activities",
                      "results": "Results", "indicators": "Indicators", "amount": amount})
    return {"items": items}


def save(application, key, data, user):
    from eplus.applications.models import Section
    from eplus.applications.sections import save_section

    version = Section.objects.get(application=application, key=key).version
    return save_section(application, key, data, version, user)


def make_ready(application, user, partners):
    """Fill every section so that the application can be submitted."""
    from eplus.applications.annexes import add_annex
    from eplus.applications.models import AnnexKind
    from eplus.applications.partners import add_participant

    for organisation in partners:
        add_participant(application, organisation.oid, "partner", user)
    save(application, "context", context_data(), user)
    save(application, "relevance", {"priorities": [priority_code()], "topics": topic_codes(),
                                    "needs": "Needs", "objectives": "Objectives"}, user)
    save(application, "partnership", {"formation": "Formed", "cooperation": "Weekly calls"}, user)
    save(application, "design", wp_data(), user)
    save(application, "impact", {"impact": "Impact", "dissemination": "Open", "sustainability": "Kept"}, user)
    save(application, "summary", {"objectives": "O", "implementation": "I", "results": "R"}, user)
    save(application, "checklist", {"confirm_accurate": True, "confirm_declaration": True}, user)
    add_annex(application, AnnexKind.DECLARATION, pdf_file(), user)
    for organisation in partners:
        add_annex(application, AnnexKind.MANDATE, pdf_file(f"mandate-{organisation.oid}.pdf"), user,
                           organisation=organisation)
    application.refresh_from_db()
    return application
