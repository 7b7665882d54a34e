"""Fictional demo data for `./run demo`: one person per role, their organisations, a case to validate.

Every name, e-mail address and phone number here is invented (the e-mail domain is a reserved
``.example`` one). Loading is idempotent: running it again finds what exists and adds nothing twice.
Agency staff, experts and the administrator must use a second factor (MFA is enforced for them), so
they get a TOTP authenticator with a published demo secret; ``./run manage demo_code`` prints the
current codes.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from eplus.accounts.models import User
from eplus.applications.creation import create_application
from eplus.applications.partners import add_participant
from eplus.applications.sections import save_section
from eplus.applications.sharing import share
from eplus.applications.models import Application
from eplus.organisations.registration import complete_registration
from eplus.organisations import workflow as organisation_workflow
from eplus.organisations.models import Organisation
from eplus.programme.models import Agency, AgencyMembership, Call
from eplus.results.editing import save_contact, save_result
from eplus.results.publishing import mark_final_report_submitted, mark_project_finalised, publish_project_card
from eplus.results import workflow as results_workflow
from eplus.results.models import ProjectCard

DEMO_DOMAIN = "demo.eplus.example"
DEMO_PASSWORD = "Erasmus-Demo-2026!"
# Base32 secret of the demo authenticators (add it to any authenticator app, or use demo_code).
DEMO_TOTP_SECRET = "EPLUSDEMOEPLUSDEMOEPLUSDEMOEPLUS"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    first_name: str
    last_name: str
    role: str  # what the person does in the demo, shown in the printed log-ins
    agency_role: str = ""  # officer / admin / expert of LV01
    superuser: bool = False
    language: str = "en"

    @property
    def email(self):
        return f"{self.key}@{DEMO_DOMAIN}"


PEOPLE = (
    DemoPerson("applicant", "Ilze", "Paraugs", "applicant (legal representative of a Latvian VET school)", language="lv"),
    DemoPerson("partner", "Tomas", "Pavyzdys", "partner (contact person of a Lithuanian training centre)"),
    DemoPerson("officer", "Olga", "Pārbaude", "agency officer of LV01", agency_role="officer", language="lv"),
    DemoPerson("expert", "Edgars", "Vērtētājs", "external expert of LV01", agency_role="expert"),
    DemoPerson("admin", "Ada", "Administratore", "administrator (agency administrator of LV01, site admin)",
               agency_role="admin", superuser=True),
)

# Registration numbers and VAT numbers below pass python-stdnum's checks but are made up.
ORGANISATIONS = (
    {
        "owner": "applicant", "role": "legal-representative", "certified": True,
        "fields": {
            "legal_name": "Daugavmala Vocational School", "business_name": "Daugavmala VS",
            "legal_form": "State educational institution", "organisation_type": "vet-provider",
            "is_public": True, "non_profit": True, "date_established": "1998-09-01", "country": "LV",
            "street": "Krasta iela 101", "postcode": "LV-1019", "city": "Rīga", "region": "Rīga",
            "registration_number": "40003000002", "vat_number": "LV40003000002",
            "website": "https://daugavmala.demo.eplus.example", "email": f"office@{DEMO_DOMAIN}",
            "phone": "+371 60 000 001", "contact_name": "Ilze Paraugs", "contact_email": f"applicant@{DEMO_DOMAIN}",
        },
    },
    {
        "owner": "partner", "role": "contact-person", "certified": True,
        "fields": {
            "legal_name": "Nemunas Training Centre", "legal_form": "Public institution",
            "organisation_type": "vet-provider", "is_public": True, "non_profit": True,
            "date_established": "2004-02-16", "country": "LT", "street": "Upės g. 7", "postcode": "LT-44001",
            "city": "Kaunas", "registration_number": "300000001", "vat_number": "LT100000019",
            "website": "https://nemunas.demo.eplus.example", "email": f"info@{DEMO_DOMAIN}",
            "phone": "+370 600 00001", "contact_name": "Tomas Pavyzdys", "contact_email": f"partner@{DEMO_DOMAIN}",
        },
    },
    {
        "owner": "partner", "role": "contact-person", "certified": True,
        "fields": {
            "legal_name": "Emajõe Adult Learning Society", "legal_form": "Non-profit association",
            "organisation_type": "adult-education", "is_public": False, "non_profit": True,
            "date_established": "2010-05-04", "country": "EE", "street": "Jõe 3", "postcode": "51003",
            "city": "Tartu", "registration_number": "10000001", "vat_number": "EE100000007",
            "website": "https://emajoe.demo.eplus.example", "email": f"society@{DEMO_DOMAIN}",
            "phone": "+372 5000 0001", "contact_name": "Tomas Pavyzdys", "contact_email": f"partner@{DEMO_DOMAIN}",
        },
    },
    {
        # Left under validation so the agency officer has a case to certify or reject.
        "owner": "applicant", "role": "contact-person", "certified": False,
        "fields": {
            "legal_name": "Vidzeme Youth Crafts Club", "legal_form": "Association",
            "organisation_type": "youth-organisation", "is_public": False, "non_profit": True,
            "date_established": "2019-03-12", "country": "LV", "street": "Meža iela 5", "postcode": "LV-4201",
            "city": "Valmiera", "region": "Vidzeme", "registration_number": "40003000017",
            "website": "https://crafts.demo.eplus.example", "email": f"club@{DEMO_DOMAIN}",
            "phone": "+371 60 000 002", "contact_name": "Ilze Paraugs", "contact_email": f"applicant@{DEMO_DOMAIN}",
        },
    },
)


def _person(spec):
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        user = User.objects.create_user(
            spec.email, password=DEMO_PASSWORD, first_name=spec.first_name, last_name=spec.last_name,
            email_language=spec.language, privacy_accepted_at=timezone.now(),
            is_staff=spec.superuser, is_superuser=spec.superuser,
        )
    EmailAddress.objects.get_or_create(user=user, email=spec.email, defaults={"verified": True, "primary": True})
    return user


def _agency_role(user, spec):
    if not spec.agency_role:
        return
    agency = Agency.objects.get(code="LV01")
    AgencyMembership.objects.get_or_create(user=user, agency=agency, role=spec.agency_role)


def _authenticator(user):
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


def _organisation(spec, users, officer):
    fields = spec["fields"]
    existing = Organisation.objects.filter(
        country_id=fields["country"], registration_number=fields["registration_number"]
    ).first()
    if existing is not None:
        return existing
    organisation = complete_registration(
        users[spec["owner"]], fields, registrant_role=spec["role"], confirm_different=True
    )
    if spec["certified"]:
        if organisation.country_id == "LV":
            organisation_workflow.certify(organisation, officer)
        else:  # no demo officer in the other countries' agencies: recorded as the demo loader's doing
            organisation.status = Organisation.Status.CERTIFIED
            organisation.validated_at = timezone.now()
            organisation.save(audit_verb="certify", audit_reason="demo data")
    return organisation


DEMO_APPLICATION_TITLE = "Green skills for river-side workshops"
DEMO_PROJECT = {
    "identifier": "2024-1-LV01-KA220-VET-000012345",
    "title": "Digital apprenticeships along the Baltic coast",
    "summary_en": "Three vocational schools build an open online course on digital tools for apprentices "
                  "and their in-company trainers, tested with 120 learners in Latvia, Lithuania and Estonia.",
    "action_type": "KA220-VET", "key_action": "KA2", "action": "KA220", "sector": "VET", "call_year": 2024,
    "start_date": "2024-09-01", "end_date": "2026-08-31", "eu_grant": "250000.00",
    "topics": ["Digital skills and competences", "Work-based learning"],
}


def _application(users, organisations):
    """A KA220 draft of the demo applicant for the (provisional) 2027 call, with its partners added."""
    existing = Application.objects.filter(title=DEMO_APPLICATION_TITLE).first()
    call = Call.objects.filter(action__code="KA220", deadline__gt=timezone.now()).order_by("deadline").first()
    if existing is not None or call is None:
        return existing
    applicant = users["applicant"]
    application = create_application(applicant, organisations[0], call, "VET")
    for organisation in organisations[1:3]:
        add_participant(application, organisation.oid, "partner", applicant)
    save_section(application, "context", {
        "language": "en", "title": DEMO_APPLICATION_TITLE, "start_date": call.start_earliest.isoformat(),
        "duration_months": 24, "lump_sum": "250000.00",
    }, 0, applicant)
    share(application, users["partner"], "edit", applicant)
    return application


def _project_card(users, organisations):
    """A finished 2024 project on the results platform, with one public and one hidden result, approved."""
    card = ProjectCard.objects.filter(identifier=DEMO_PROJECT["identifier"]).first()
    if card is not None:
        return card
    card = publish_project_card({
        **DEMO_PROJECT, "agency": "LV01", "coordinator": organisations[0], "partners": organisations[1:3],
        "website": "https://coast-apprentices.demo.eplus.example",
    })
    applicant = users["applicant"]
    save_contact(card, applicant, name="Ilze Paraugs", email=f"applicant@{DEMO_DOMAIN}", published=True)
    save_result(card, applicant, title="Open course: digital tools for apprentices",
                        result_type="e-learning", description_en="Six modules with videos, exercises and a "
                        "trainer's guide, free to reuse under CC BY 4.0.",
                        link="https://coast-apprentices.demo.eplus.example/course")
    save_result(card, applicant, title="Internal evaluation notes", result_type="other",
                        description_en="Working notes of the partners, not for publication.",
                        link="https://coast-apprentices.demo.eplus.example/notes", public_flag=False)
    mark_final_report_submitted(card)
    results_workflow.submit_for_review(card, applicant)
    results_workflow.approve(card, users["officer"], "Clear descriptions; thank you.")
    mark_project_finalised(card)
    return card


# Fictional envelopes: room for this many grants of the call's largest lump sum in each field.
DEMO_ENVELOPE_GRANTS = 4


def _envelopes(admin):
    """Envelopes of LV01 for the calls the demo opens (still open, or holding a demo application) in every
    field LV01 manages, where none is set yet (the programme data sets the real 2026 VET ones)."""
    from eplus.evaluation.envelopes import find, set_envelope

    agency = Agency.objects.get(code="LV01")
    calls = (Call.objects.filter(deadline__gt=timezone.now()) | Call.objects.filter(
        pk__in=Application.objects.filter(agency=agency).values("call_id"))).select_related("action").distinct()
    for call in calls:
        if call.action.is_centralised:
            continue
        largest = max(call.lump_sums, default=None) or call.grant_maximum
        if not largest:
            continue
        for sector in call.action.sectors:
            if sector in agency.fields and find(agency, call, sector) is None:
                set_envelope(agency, call, sector, largest * DEMO_ENVELOPE_GRANTS, admin,
                             reason="Demo data (fictional amount)")


def load_demo():
    """Create (or find) the demo people and organisations; returns the people in PEOPLE order."""
    # The demo's own e-mails (certification notices) are not worth printing in the demo terminal.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"), transaction.atomic():
        users = {}
        for spec in PEOPLE:
            user = _person(spec)
            _agency_role(user, spec)
            if spec.agency_role or spec.superuser:
                _authenticator(user)
            users[spec.key] = user
        organisations = [_organisation(spec, users, users["officer"]) for spec in ORGANISATIONS]
        _application(users, organisations)
        _project_card(users, organisations)
        from .projects import load_evaluation_and_project  # a past-deadline call's cases; a running project
        load_evaluation_and_project(users, organisations)
        _envelopes(users["admin"])
    return [(spec, users[spec.key]) for spec in PEOPLE]


def login_lines(people):
    site = settings.SITE_URL
    lines = [f"Demo log-ins at {site}/accounts/login/ (password for all: {DEMO_PASSWORD}):"]
    for spec, user in people:
        mfa = "  + authenticator code" if (spec.agency_role or spec.superuser) else ""
        lines.append(f"  {user.email:<32} {spec.role}{mfa}")
    lines.append(f"Authenticator secret of the demo staff: {DEMO_TOTP_SECRET} "
                 "(or run `./run manage demo_code` for the current code)")
    from .projects import task_lines
    return lines + task_lines(dict((spec.key, user) for spec, user in people))


def current_code():
    """The current TOTP code of the demo authenticators."""
    counters = list(yield_hotp_counters_from_time())
    now = counters[len(counters) // 2]
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, now))
