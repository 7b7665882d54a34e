"""Demo data of the agency's back office: a call whose deadline has passed, with its submissions, cases,
envelope and experts at work — so that the demo officer and the demo expert have their main task at once.

The 2026 KA220 call (round 1, LV01, vocational education) received five applications from fictional
Latvian schools with partners in Lithuania, Estonia, Finland, Poland and Sweden. Each was drafted and
submitted through the applications' own functions *before the deadline*: the demo replays that past by
setting the domain's clock (``eplus.core.time.now``, which every deadline check reads) back while it
does so, as the apps' tests do with a fixed clock. After the deadline (the real clock) the cases are
opened as the sweep opens them; two are formally checked, and the demo expert — registered in the
agency's expert registry — has one application waiting for the conflict-of-interest declaration and
one declared and being scored. The officer thus sees cases to check, cases without two experts and an
assessment to wait for.

Everything here is fictional (names, e-mails @demo.eplus.example, numbers that only pass the
checksums). Loading is idempotent: when the first demo application exists, nothing is done again (the
whole load is one transaction, so it exists only if everything was made).
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eplus.accounts.models import User
from eplus.applications.annexes import add_annex
from eplus.applications.creation import create_application
from eplus.applications.models import AnnexKind, Application, Section
from eplus.applications.partners import add_participant
from eplus.applications.refdata import active_topics
from eplus.applications.sections import save_section
from eplus.applications.submission import submit
from eplus.core import time as clock
from eplus.evaluation.assessments import save_assessment
from eplus.evaluation.cases import open_cases
from eplus.evaluation.checks import confirm_formal_check
from eplus.evaluation.experts import assign, declare, register_expert
from eplus.evaluation.models import Assignment, AssignmentRole, Case, ExpertProfile
from eplus.organisations import workflow as organisation_workflow
from eplus.organisations.models import Organisation
from eplus.organisations.registration import complete_registration
from eplus.programme.models import Agency, BudgetEnvelope, Call

from .loader import DEMO_DOMAIN

AGENCY = "LV01"
SECTOR = "VET"


# --- replaying the past ---------------------------------------------------------------------------------

@contextmanager
def clock_at(instant):
    """Run the enclosed domain calls as if it were ``instant`` (aware): the deadline checks, the submission
    times and the dates the domain records read ``eplus.core.time.now``. Never later than the real now."""
    real = clock.now
    moment = min(instant, real())
    clock.now = lambda: moment
    try:
        yield moment
    finally:
        clock.now = real


def past_deadline_call(action):
    """The LV01 round-1 call of ``action`` of 2026 (its deadline has passed), or None."""
    return Call.objects.select_related("action").filter(
        year=2026, action__code=action, round=1, deadline__lte=clock.now()).first()


def envelope(call, amount):
    """The budget envelope of LV01 for ``call`` in the demo field: the one loaded with the programme data or
    made by another part of the demo is kept; else a fictional amount."""
    agency = Agency.objects.get(code=AGENCY)
    found, _created = BudgetEnvelope.objects.get_or_create(
        agency=agency, call=call, sector=SECTOR,
        defaults={"amount": Decimal(amount), "source": "demo data (fictional amount)"})
    return found


@lru_cache(maxsize=None)
def _annex_pdf(title):
    """A one-page PDF standing for a signed annex (rendered once per process)."""
    from weasyprint import HTML

    return HTML(string=f"<h1>{title}</h1><p>A fictional document of the eplus demo.</p>").write_pdf()


def annex(title):
    return SimpleUploadedFile(f"{title.lower().replace(' ', '-')}.pdf", _annex_pdf(title),
                              content_type="application/pdf")


# --- people and organisations ---------------------------------------------------------------------------

def person(key, first_name, last_name, language="en"):
    """A fictional person of the demo who does not log in (no usable password): an applicant's legal
    representative, a partner's contact person or a second expert."""
    email = f"{key}@{DEMO_DOMAIN}"
    return User.objects.filter(email=email).first() or User.objects.create_user(
        email, first_name=first_name, last_name=last_name, email_language=language,
        privacy_accepted_at=timezone.now())


def organisation(spec, officer):
    """Register (or find, by country and name) a fictional organisation, certified by the agency of its
    country — LV01's demo officer for Latvia; the others are recorded as the demo loader's doing."""
    fields = spec["fields"]
    existing = Organisation.objects.filter(country_id=fields["country"], legal_name=fields["legal_name"]).first()
    if existing is not None:
        return existing
    representative = person(*spec["person"])
    created = complete_registration(representative, fields, registrant_role="legal-representative",
                                    confirm_different=True)
    if created.country_id == "LV":
        organisation_workflow.certify(created, officer)
    else:
        created.status = Organisation.Status.CERTIFIED
        created.validated_at = timezone.now()
        created.save(audit_verb="certify", audit_reason="demo data")
    return created


def _org(key, person_spec, name, country, city, street, postcode, number, kind="vet-provider", founded="2001-09-01",
         **extra):
    return {"person": person_spec, "fields": {
        "legal_name": name, "legal_form": extra.pop("legal_form", "Public institution"), "organisation_type": kind,
        "is_public": extra.pop("is_public", True), "non_profit": True, "date_established": founded,
        "country": country, "street": street, "postcode": postcode, "city": city, "registration_number": number,
        "website": f"https://{key}.{DEMO_DOMAIN}", "email": f"{key}@{DEMO_DOMAIN}",
        "phone": extra.pop("phone"), "contact_name": f"{person_spec[1]} {person_spec[2]}",
        "contact_email": f"{person_spec[0]}@{DEMO_DOMAIN}", **extra}}


# Registration numbers pass python-stdnum's checksums but are made up; so are the names and addresses.
PARTNERS = {
    "pirita": _org("pirita", ("pirita-contact", "Kadri", "Näidis"), "Pirita Vocational Centre", "EE", "Tallinn",
                   "Ranna tee 12", "11911", "10000018", phone="+372 5000 0002"),
    "oulujoki": _org("oulujoki", ("oulujoki-contact", "Aino", "Esimerkki"), "Oulujoki Vocational Institute", "FI",
                     "Oulu", "Joentie 4", "90100", "0100001-0", phone="+358 40 000 0001"),
    "wisla": _org("wisla", ("wisla-contact", "Zofia", "Przykład"), "Wisła Vocational Training Centre", "PL",
                  "Toruń", "ul. Nadbrzeżna 8", "87-100", "100000008", phone="+48 500 000 001"),
    "gota": _org("gota", ("gota-contact", "Elsa", "Exempel"), "Göta Adult Education Association", "SE",
                 "Göteborg", "Älvgatan 3", "411 01", "8020000017", kind="adult-education",
                 legal_form="Non-profit association", is_public=False, phone="+46 70 000 00 01"),
    "neris": _org("neris", ("neris-contact", "Rūta", "Pavyzdienė"), "Neris Crafts Academy", "LT", "Vilnius",
                  "Krantinės g. 21", "LT-08105", "300000018", phone="+370 600 00002"),
}

# The five applicants (all in Latvia: LV01 assesses Latvian applicants), each with its partners (keys of
# PARTNERS, or "nemunas"/"emajoe": the partner organisations of the demo's own partner person).
APPLICATIONS = (
    {
        "key": "gauja", "title": "Solar installers' workshop curriculum", "lump_sum": "250000.00",
        "applicant": _org("gauja", ("gauja-rep", "Māra", "Projekte"), "Gauja Technical College", "LV", "Sigulda",
                          "Upes iela 14", "LV-2150", "40003000021", phone="+371 60 000 011"),
        "partners": ("nemunas", "pirita"), "priorities": ["HOR-ENVIRONMENT", "VET-LABOUR-MARKET"],
        "needs": "Installers of solar panels are scarce in rural Latvia, Lithuania and Estonia; vocational schools "
                 "have no shared practical curriculum for them.",
        "objectives": "Design, test and publish an open workshop curriculum for solar installers, with employers.",
    },
    {
        "key": "venta", "title": "Timber construction for rural builders", "lump_sum": "250000.00",
        "applicant": _org("venta", ("venta-rep", "Jānis", "Pieteicējs"), "Venta Crafts School", "LV", "Kuldīga",
                          "Krasta iela 3", "LV-3301", "40003000036", phone="+371 60 000 012"),
        "partners": ("oulujoki", "wisla"), "priorities": ["HOR-ENVIRONMENT", "VET-INNOVATION-QUALITY"],
        "needs": "Builders in small towns lack training in modern timber construction that keeps carbon low.",
        "objectives": "Exchange teaching methods for sustainable timber construction and write a trainers' handbook.",
    },
    {
        "key": "lielupe", "title": "Dementia communication micro-credentials for care workers", "lump_sum": "120000.00",
        "applicant": _org("lielupe", ("lielupe-rep", "Laura", "Vadītāja"), "Lielupe Health College", "LV", "Jelgava",
                          "Lielā iela 40", "LV-3001", "40003000040", phone="+371 60 000 013"),
        "partners": ("emajoe", "gota"), "priorities": ["HOR-INCLUSION", "VET-FLEXIBILITY"],
        "needs": "Care workers in elderly homes get little training in talking with people living with dementia.",
        "objectives": "Offer short blended courses leading to micro-credentials recognised by the employers.",
    },
    {
        "key": "lubans", "title": "Hospitality apprentices in family hotels", "lump_sum": "250000.00",
        "applicant": _org("lubans", ("lubans-rep", "Pēteris", "Skolotājs"), "Lubāns Hospitality School", "LV",
                          "Rēzekne", "Ezera iela 9", "LV-4601", "40003000055", phone="+371 60 000 014"),
        "partners": ("oulujoki", "neris"), "priorities": ["VET-ATTRACTIVENESS", "HOR-DIGITAL"],
        "needs": "Small family hotels take apprentices but their mentors have no support from the schools.",
        "objectives": "Build a digital mentoring toolkit with video case studies recorded in three countries.",
    },
    {
        "key": "abava", "title": "Digital tools for agricultural apprentices", "lump_sum": "120000.00",
        "applicant": _org("abava", ("abava-rep", "Inga", "Koordinatore"), "Abava Rural Skills School", "LV",
                          "Kandava", "Dārza iela 2", "LV-3120", "40003000074", phone="+371 60 000 015"),
        "partners": ("wisla", "pirita"), "priorities": ["HOR-DIGITAL", "VET-LABOUR-MARKET"],
        "needs": "Farms use sensors and farm software that apprentices never see at school.",
        "objectives": "Bring precision-farming tools into the schools' practical training, with farmers.",
    },
)

# (index in APPLICATIONS, formally checked?, the demo expert's assignment: None, "declare" or "score")
PLAN = ((0, True, "score"), (1, True, "declare"), (2, False, None), (3, False, None), (4, False, None))

DRAFT_SCORES = {"relevance": "20", "design": "22", "partnership": "", "impact": ""}
DRAFT_COMMENTS = {"relevance": "Clear needs of rural employers, backed by figures from the partners.",
                  "design": "Work packages are realistic; the pilot could involve more learners."}


# --- submitting an application before its deadline ------------------------------------------------------

def _save(application, key, data, user):
    version = Section.objects.get(application=application, key=key).version
    save_section(application, key, data, version, user)


def submit_before_deadline(user, applicant, call, partners, content, at):
    """Draft and submit an application with the applications' functions, the clock set to ``at`` (before
    the call's deadline). ``content``: title, lump_sum, start_date, duration_months, priorities, texts and
    the design items (work packages or activities)."""
    with clock_at(at):
        application = create_application(user, applicant, call, SECTOR)
        for partner in partners:
            add_participant(application, partner.oid, "partner", user)
        _save(application, "context", {
            "language": "en", "title": content["title"], "start_date": content["start_date"],
            "duration_months": str(content["duration_months"]), "lump_sum": content["lump_sum"]}, user)
        relevance = {"priorities": content["priorities"], "needs": content["needs"],
                     "objectives": content["objectives"]}
        if call.max_topics:
            relevance["topics"] = list(t.code for t in active_topics(application))[:2]
        _save(application, "relevance", relevance, user)
        _save(application, "partnership", {
            "formation": "The partners met in an earlier exchange of teachers and each brings its workshops.",
            "cooperation": "Monthly online meetings, a shared plan and one partner leading each work package."}, user)
        _save(application, "design", {"items": content["items"]}, user)
        _save(application, "impact", {
            "impact": "Learners gain skills employers ask for; teachers learn new methods.",
            "dissemination": "Open materials on the partners' websites and the results platform.",
            "sustainability": "The schools keep the courses in their programmes after the project."}, user)
        _save(application, "summary", {
            "objectives": content["objectives"], "implementation": "Joint design, pilots in every country, review.",
            "results": "Open course materials and a guide for trainers."}, user)
        _save(application, "checklist", {"confirm_accurate": True, "confirm_declaration": True}, user)
        add_annex(application, AnnexKind.DECLARATION, annex("Declaration on honour"), user)
        for partner in partners:
            add_annex(application, AnnexKind.MANDATE, annex(f"Mandate of {partner.legal_name}"), user,
                      organisation=partner)
        submit(application, user)
    application.refresh_from_db()
    return application


def work_packages(lump_sum):
    """Three work packages adding up to ``lump_sum``: project management at 16 % (under the call's 20 %)."""
    total = Decimal(lump_sum)
    management = (total * Decimal("0.16")).quantize(Decimal("1.00"))
    training = ((total - management) / 2).quantize(Decimal("1.00"))
    pilots = total - management - training
    return [
        {"title": "Project management", "objectives": "Steer the partnership and its quality plan.",
         "activities": "", "results": "Plans, minutes and the quality report.", "indicators": "Meetings held",
         "amount": str(management)},
        {"title": "Training programme", "objectives": "Write the course with employers.",
         "activities": "Workshops of the teachers in each country.", "results": "The course modules.",
         "indicators": "Modules published", "amount": str(training)},
        {"title": "Pilot courses", "objectives": "Test the course with learners.",
         "activities": "Pilot courses in every partner school.", "results": "An evaluation of the pilots.",
         "indicators": "Learners trained", "amount": str(pilots)},
    ]


# --- the back office ------------------------------------------------------------------------------------

def demo_expert(user):
    """The demo expert in LV01's expert registry (their expert role exists already: no welcome e-mail)."""
    agency = Agency.objects.get(code=AGENCY)
    profile = ExpertProfile.objects.filter(user=user, agency=agency).first()
    if profile is None:
        profile = register_expert(agency, email=user.email, first_name=user.first_name, last_name=user.last_name,
                                  languages=["en", "lv"], sectors=["VET", "ADU"])
    return profile


def load_evaluation(users, organisations):
    """The past-deadline KA220 call of LV01 with its cases and envelope; the demo expert registered with an
    assignment to declare and one to score. Returns the cases (nothing new when they exist)."""
    officer, expert = users["officer"], users["expert"]
    demo_expert(expert)
    call = past_deadline_call("KA220")
    if call is None:  # the reference data has no such call (cannot happen with the programme's data)
        return []
    envelope(call, "839394.00")
    first_title = APPLICATIONS[0]["title"]
    if Application.objects.filter(call=call, title=first_title).exists():
        return list(Case.objects.filter(call=call, application__title__in=[a["title"] for a in APPLICATIONS]))
    partners = {"nemunas": organisations[1], "emajoe": organisations[2]}
    partners.update({key: organisation(spec, officer) for key, spec in PARTNERS.items()})
    applications = []
    for index, spec in enumerate(APPLICATIONS):
        applicant = organisation(spec["applicant"], officer)
        representative = User.objects.get(email=spec["applicant"]["fields"]["contact_email"])
        content = {**spec, "start_date": call.start_earliest.isoformat(), "duration_months": 24,
                   "items": work_packages(spec["lump_sum"])}
        # Submitted in the last fortnight before the deadline, a few hours apart.
        at = call.deadline - timedelta(days=14 - 2 * index, hours=3 * index + 1)
        applications.append(submit_before_deadline(representative, applicant, call,
                                                    [partners[key] for key in spec["partners"]], content, at))
    open_cases(call=call)
    cases = [Case.objects.get(application=application) for application in applications]
    for index, checked, task in PLAN:
        case = cases[index]
        if checked:
            confirm_formal_check(case, True, "", officer)
        if task is None:
            continue
        assignment = assign(case, expert, AssignmentRole.FIRST, officer)
        if task == "score":
            if assignment.declared_at is None:
                assignment = declare(assignment, True, "", expert)
            save_assessment(assignment, DRAFT_SCORES, DRAFT_COMMENTS, expert)
    return cases


def expert_summary(user):
    """"2 assignments: 1 to declare, 1 being scored" — for the printed log-ins."""
    assignments = list(Assignment.objects.filter(expert=user).select_related("assessment"))
    if not assignments:
        return ""
    to_declare = sum(1 for a in assignments if a.declared_at is None)
    done = sum(1 for a in assignments if getattr(getattr(a, "assessment", None), "submitted_at", None))
    scoring = len(assignments) - to_declare - done
    parts = [f"{n} {label}" for n, label in ((to_declare, "to declare"), (scoring, "being scored"),
                                             (done, "assessed")) if n]
    return f"{len(assignments)} assignments: {', '.join(parts)}"
