import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.accounts.models import User
from eplus.organisations.models import Membership, Organisation, Role
from eplus.organisations.services import issue_oid
from eplus.programme.models import Call, Priority, Topic

BRUSSELS = ZoneInfo("Europe/Brussels")
_n = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_file(name="declaration.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_user(email=None, **extra):
    n = next(_n)
    return User.objects.create_user(email or f"person{n}@example.org", password="Correct-Horse-9",
                                    first_name=extra.pop("first_name", "Ilze"),
                                    last_name=extra.pop("last_name", f"Tester{n}"), **extra)


def make_organisation(country, *, member=None, role=Role.LEGAL_REPRESENTATIVE, legal_name=None, **extra):
    n = next(_n)
    fields = dict(
        legal_name=legal_name or f"Fictional VET School {n}", legal_form="Association",
        organisation_type="vet-provider", date_established=date(2010, 1, 1), street="Iela 1", postcode="LV-1010",
        city="Riga", registration_number=f"REG{n:06d}", email="info@example.org", phone="+371 67 000 000",
        contact_name="Fictional Person", contact_email="contact@example.org",
    )
    fields.update(extra)
    organisation = Organisation.objects.create(oid=issue_oid(), country_id=country, **fields)
    if member is not None:
        Membership.objects.create(organisation=organisation, user=member, role=role)
    return organisation


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


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
    from eplus.applications import services

    return services.create_application(coordinator, applicant_org, ka220, "VET")


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
    from eplus.applications import services
    from eplus.applications.models import Section

    version = Section.objects.get(application=application, key=key).version
    return services.save_section(application, key, data, version, user)


def make_ready(application, user, partners):
    """Fill every section so that the application can be submitted."""
    from eplus.applications import services
    from eplus.applications.models import AnnexKind

    for organisation in partners:
        services.add_participant(application, organisation.oid, "partner", user)
    save(application, "context", context_data(), user)
    save(application, "relevance", {"priorities": [priority_code()], "topics": topic_codes(),
                                    "needs": "Needs", "objectives": "Objectives"}, user)
    save(application, "partnership", {"formation": "Formed", "cooperation": "Weekly calls"}, user)
    save(application, "design", wp_data(), user)
    save(application, "impact", {"impact": "Impact", "dissemination": "Open", "sustainability": "Kept"}, user)
    save(application, "summary", {"objectives": "O", "implementation": "I", "results": "R"}, user)
    save(application, "checklist", {"confirm_accurate": True, "confirm_declaration": True}, user)
    services.add_annex(application, AnnexKind.DECLARATION, pdf_file(), user)
    for organisation in partners:
        services.add_annex(application, AnnexKind.MANDATE, pdf_file(f"mandate-{organisation.oid}.pdf"), user,
                           organisation=organisation)
    application.refresh_from_db()
    return application


def make_officer(agency):
    """An agency officer with an authenticator (agency staff must use MFA)."""
    from allauth.mfa.models import Authenticator

    from eplus.programme.models import AgencyMembership

    officer = make_user()
    AgencyMembership.objects.create(user=officer, agency=agency, role="officer")
    Authenticator.objects.create(user=officer, type=Authenticator.Type.TOTP, data={"secret": "test"})
    return officer
