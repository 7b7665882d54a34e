"""One realistic world for the fuzzers: a person per role and, for each, the objects behind every form that
role is shown — drafts, submitted applications and their cases, experts' assignments, a released decision
with its agreement, projects with reports and amendments, results cards being edited and reviewed.

Built with the domain functions (as the apps' own tests build their objects), inside the test's
transaction, on the session's reference data (the `programme` fixture) and with the clock of
tests/fuzz/conftest.py (25 Nov 2026: the 2027 calls are open, the 2026 ones evaluated).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.organisations.models import Membership, Role
from eplus.programme.models import Agency, AgencyMembership, Call
from tests.factories import PDF, log_in_reauthenticated, make_officer, make_organisation, make_user, with_mfa
from tests.projects.conftest import make_application

SIMILAR_TEXT = ("Forestry schools train rangers with drones and share their field guides openly with every school "
                "of the region through a common online library. ") * 3
GOOD_SCORES = {"relevance": "20", "design": "25", "partnership": "15", "impact": "20"}


@dataclass
class World:
    people: dict = field(default_factory=dict)  # role -> user (None: anonymous)
    urls: dict = field(default_factory=dict)  # role -> [url, ...] of the pages that role opens
    objects: dict = field(default_factory=dict)  # name -> object, for the API test and self-checks


def log_in(client, user):
    if user is not None:
        log_in_reauthenticated(client, user)
    return client


# --- the application side ---------------------------------------------------------------------------------

def filled_draft_application(coordinator, applicant, partner_orgs, partner):
    """A KA220 draft of the 2027 call, every section filled and every annex attached (ready to submit),
    shared with the partner's contact person."""
    from eplus.applications.annexes import add_annex
    from eplus.applications.creation import create_application
    from eplus.applications.models import AnnexKind, Section
    from eplus.applications.partners import add_participant
    from eplus.applications.sections import save_section
    from eplus.applications.sharing import share
    from eplus.programme.models import Priority, Topic

    call = Call.objects.select_related("action").get(year=2027, action__code="KA220", round=1)
    application = create_application(coordinator, applicant, call, "VET")
    for organisation in partner_orgs:
        add_participant(application, organisation.oid, "partner", coordinator)

    def save(key, data):
        version = Section.objects.get(application=application, key=key).version
        save_section(application, key, data, version, coordinator)

    priority = Priority.objects.filter(active=True, sector="").order_by("position").values_list("code", flat=True)[0]
    topics = list(Topic.objects.filter(active=True).order_by("position").values_list("code", flat=True)[:2])
    save("context", {"language": "en", "title": "Green skills for fictional workshops", "start_date": "2027-09-01",
                     "duration_months": "24", "lump_sum": "250000.00"})
    save("relevance", {"priorities": [priority], "topics": topics, "needs": "Needs", "objectives": "Objectives"})
    save("partnership", {"formation": "Formed", "cooperation": "Weekly calls"})
    save("design", {"items": [{"title": f"WP {n}", "objectives": "O", "activities": "A", "results": "R",
                               "indicators": "I", "amount": amount}
                              for n, amount in enumerate(("50000.00", "100000.00", "100000.00"), 1)]})
    save("impact", {"impact": "Impact", "dissemination": "Open", "sustainability": "Kept"})
    save("summary", {"objectives": "O", "implementation": "I", "results": "R"})
    save("checklist", {"confirm_accurate": True, "confirm_declaration": True})
    add_annex(application, AnnexKind.DECLARATION, SimpleUploadedFile("declaration.pdf", PDF), coordinator)
    for organisation in partner_orgs:
        add_annex(application, AnnexKind.MANDATE, SimpleUploadedFile(f"mandate-{organisation.oid}.pdf", PDF),
                  coordinator, organisation=organisation)
    share(application, partner, "edit", coordinator)
    return application


def _submitted_application(coordinator, applicant):
    """A second 2027 draft, submitted (the coordinator can withdraw it and report an incident)."""
    from eplus.applications.submission import submit

    lt, person = _other_partner("LT")
    ee, _person = _other_partner("EE")
    application = filled_draft_application(coordinator, applicant, [lt, ee], person)
    submit(application, coordinator)
    return application


def _other_partner(country):
    person = make_user()
    return make_organisation(country, member=person, role=Role.CONTACT_PERSON, certified=True), person


# --- the back office --------------------------------------------------------------------------------------

def _evaluation(officer, coordinator, applicant):
    """2026 KA220 cases of LV01: one waiting for its formal check, one in assessment with a declared and an
    undeclared expert, a near-duplicate pair, and one selected, released and with its agreement issued to
    ``coordinator``'s organisation. Returns what the pages need."""
    from eplus.evaluation.assessments import save_assessment
    from eplus.evaluation.cases import open_cases
    from eplus.evaluation.checks import confirm_formal_check
    from eplus.evaluation.decisions import release, stage_decisions
    from eplus.evaluation.experts import assign, declare, register_expert
    from eplus.evaluation.findings import run_similarity
    from eplus.evaluation.models import AssignmentRole, Case, GrantAgreement
    from eplus.evaluation.ranking import run_selection
    from tests.evaluation import factories as f

    agency = Agency.objects.get(code="LV01")

    def expert():
        person = with_mfa(make_user())
        register_expert(agency, email=person.email, first_name="E", last_name="X", languages=["en"],
                        sectors=["VET"])
        return person

    winner_app = f.submitted(lump_sum="120000.00", coordinator=coordinator)
    Membership.objects.filter(organisation=winner_app.applicant, user=coordinator).update(
        role=Role.LEGAL_REPRESENTATIVE)
    open_cases()
    winner = Case.objects.get(application=winner_app)
    confirm_formal_check(winner, True, "", officer)
    for role in (AssignmentRole.FIRST, AssignmentRole.SECOND):
        person = expert()
        assignment = declare(assign(winner, person, role, officer), True, "", person)
        save_assessment(assignment, GOOD_SCORES, {k: "ok" for k in GOOD_SCORES}, person, submit=True)
    run_selection(winner.agency, winner.call, "VET", officer)
    release(stage_decisions(winner.agency, winner.call, "VET", officer), officer)
    # The later applications of the same call: their group's selection is already released.
    pending_app = f.submitted()
    assessed_app = f.submitted()
    f.submitted(text=SIMILAR_TEXT)
    f.submitted(text=SIMILAR_TEXT)
    open_cases()
    pending, assessed = (Case.objects.get(application=a) for a in (pending_app, assessed_app))
    confirm_formal_check(assessed, True, "", officer)
    the_expert = expert()
    declared = declare(assign(assessed, the_expert, AssignmentRole.FIRST, officer), True, "", the_expert)
    undeclared = assign(pending_case_for_expert(officer), the_expert, AssignmentRole.FIRST, officer)
    finding = run_similarity(winner.call.deadline)[0]
    return {"winner": winner, "pending": pending, "assessed": assessed, "expert": the_expert,
            "declared": declared, "undeclared": undeclared, "finding": finding,
            "agreement": GrantAgreement.objects.get(case=winner)}


def pending_case_for_expert(officer):
    """A case in assessment that the expert has not declared on yet."""
    from eplus.evaluation.cases import open_cases
    from eplus.evaluation.checks import confirm_formal_check
    from eplus.evaluation.models import Case
    from tests.evaluation import factories as f

    application = f.submitted()
    open_cases()
    case = Case.objects.get(application=application)
    confirm_formal_check(case, True, "", officer)
    return case


def _staged_decision(officer):
    """A KA210 case of LV01, ineligible, its rejection staged in the outbox (not released)."""
    from eplus.evaluation.checks import confirm_formal_check
    from eplus.evaluation.decisions import stage_decisions
    from eplus.evaluation.ranking import run_selection
    from tests.evaluation import factories as f

    case = f.opened_case(action="KA210", lump_sum="60000.00")
    confirm_formal_check(case, False, "No partner.", officer)
    run_selection(case.agency, case.call, "VET", officer)
    return stage_decisions(case.agency, case.call, "VET", officer)


# --- projects and results ---------------------------------------------------------------------------------

def _project(coordinator, applicant, partner_org, officer):
    """A KA210 project of ``applicant`` (started 2025, ending 2026): its final report submitted to the
    agency; and a KA220 project whose first report is a draft and with an amendment requested."""
    from eplus.projects import reports, workflow
    from eplus.projects.amendments import request_amendment
    from eplus.projects.creation import create_project
    from eplus.projects.models import ReportKind

    ka220 = create_project(make_application("KA220", lump_sum="250000", applicant=applicant, partners=[partner_org]),
                           signed_on=date(2026, 8, 20), start_date=date(2026, 9, 1), end_date=date(2028, 8, 31),
                           lump_sum=Decimal("250000"), agreement_pdf=PDF, created_by=officer)
    ka210 = create_project(make_application("KA210", lump_sum="60000", applicant=applicant, partners=[partner_org],
                                            months=12),
                           signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1), end_date=date(2026, 8, 31),
                           lump_sum=Decimal("60000"), created_by=officer)
    final = ka210.reports.get(kind=ReportKind.FINAL)
    sections = reports.report_sections(final)
    for key in reports.TEXT_SECTIONS:
        sections[key] = sections.get(key) or f"{key} text"
    for item in sections["budget"]:
        item["used"] = "1"
    reports.save_report(final, coordinator, language="en", sections=sections)
    reports.attach_declaration(final, SimpleUploadedFile("declaration.pdf", PDF), coordinator)
    final.refresh_from_db()
    workflow.submit_report(final, coordinator)
    request_amendment(ka220, coordinator, kind="dates", description="Start later.",
                      proposed={"start_date": "2026-10-01", "end_date": "2028-09-30"})
    return {"ka220": ka220, "ka210": ka210, "final": final, "draft_report": ka220.reports.order_by("due").first()}


def _cards(coordinator, applicant, partner_org, officer):
    """An open card being edited by ``applicant`` (a result with a file, a contact), a card under review
    for LV01, and a public approved card (flags)."""
    import io

    from eplus.results import workflow
    from eplus.results.editing import add_result_file, save_contact, save_result
    from eplus.results.publishing import mark_final_report_submitted, mark_project_finalised, publish_project_card

    def card(n, **extra):
        return publish_project_card({
            "identifier": f"2024-1-LV01-KA220-VET-{n:09d}", "title": f"Green welding skills {n}",
            "summary_en": "Vocational schools develop a course on sustainable welding.", "action_type": "KA220-VET",
            "key_action": "KA2", "call_year": 2024, "start_date": date(2024, 9, 1), "end_date": date(2026, 8, 31),
            "eu_grant": Decimal("250000.00"), "topics": ["Green skills"], "agency": "LV01",
            "coordinator": applicant, "partners": [partner_org], **extra})

    editing = card(910001)
    result = save_result(editing, coordinator, title="Welding handbook", result_type="handbook",
                         description_en="A handbook.", public_flag=True)
    result_file = add_result_file(result, io.BytesIO(b"A fictional handbook.\n"), "handbook.txt", coordinator)
    contact = save_contact(editing, coordinator, name="Ilze Tester", email="ilze@school.example", published=True)
    reviewed = card(910002)
    save_result(reviewed, coordinator, title="Course", result_type="handbook", description_en="A course.",
                link="https://course.example/")
    save_contact(reviewed, coordinator, name="Anna Tester", email="anna@school.example", published=True)
    mark_final_report_submitted(reviewed)
    reviewed.refresh_from_db()
    workflow.submit_for_review(reviewed, coordinator)
    public = card(910003)
    save_result(public, coordinator, title="Open course", result_type="handbook",
                description_en="An open course.", link="https://open-course.example/")
    save_contact(public, coordinator, name="Olev Tester", email="olev@school.example", published=True)
    mark_final_report_submitted(public)
    public.refresh_from_db()
    workflow.submit_for_review(public, coordinator)
    workflow.approve(public, officer)
    mark_project_finalised(public)
    return {"editing": editing, "result": result, "result_file": result_file, "contact": contact,
            "reviewed": reviewed, "public": public}


# --- organisations and accounts ---------------------------------------------------------------------------

def _registration_draft(user):
    from eplus.organisations.forms import STEP_KEYS
    from eplus.organisations.registration import save_draft_step

    draft = save_draft_step(None, user, "identity", {"legal_name": "Fictional Youth Club"}, STEP_KEYS[1])
    return draft


def _unverified_person():
    """A signed-up person who has not followed the verification link yet: its key opens the set-password form."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    from eplus.accounts.models import User

    person = User.objects.create_user(email="newcomer@example.org", first_name="New", last_name="Comer")
    person.set_unusable_password()
    person.save()
    address = EmailAddress.objects.create(user=person, email=person.email, primary=True, verified=False)
    return EmailConfirmationHMAC(address).key


def _password_reset_path(user):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.urls import reverse

    return reverse("account_reset_password_from_key",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})


# --- the world --------------------------------------------------------------------------------------------

def build_world():
    from allauth.account.models import EmailAddress
    from django.urls import reverse

    from eplus.applications.sharing import invite as invite_to_application
    from eplus.organisations.members import invite_member
    from eplus.organisations.models import Organisation

    coordinator = make_user(first_name="Maija", last_name="Coordinator")
    EmailAddress.objects.create(user=coordinator, email=coordinator.email, primary=True, verified=True)
    member = make_user(first_name="Anna", last_name="Member")
    partner = make_user(first_name="Jonas", last_name="Partner")
    applicant = make_organisation("LV", member=coordinator, legal_name="Fictional Riga VET School", certified=True)
    membership = Membership.objects.create(organisation=applicant, user=member, role=Role.MEMBER)
    partner_org = make_organisation("LT", member=partner, role=Role.CONTACT_PERSON, certified=True,
                                    legal_name="Fictional Vilnius College")
    waiting_org = make_organisation("LV", legal_name="Fictional Youth Club Under Validation")
    officer = make_officer("LV01")
    admin = with_mfa(make_user(first_name="Ada", last_name="Admin"))
    AgencyMembership.objects.create(user=admin, agency=Agency.objects.get(code="LV01"), role="admin")
    commission = with_mfa(make_user(first_name="Cora", last_name="Commission", is_commission=True))

    draft = filled_draft_application(coordinator, applicant, [partner_org, _other_partner("EE")[0]], partner)
    submitted = _submitted_application(coordinator, applicant)
    share_invitation = invite_to_application(draft, partner.email, "view", coordinator)
    _invitation, org_token = invite_member(applicant, partner.email, Role.MEMBER, coordinator)
    evaluation = _evaluation(officer, coordinator, applicant)
    staged = _staged_decision(officer)
    projects = _project(coordinator, applicant, partner_org, officer)
    cards = _cards(coordinator, applicant, partner_org, officer)
    registration = _registration_draft(coordinator)
    confirmation_key = _unverified_person()
    from eplus.applications.models import ShareInvitation

    share_token = ShareInvitation.objects.filter(application=draft).values_list("token", flat=True).first()

    winner = evaluation["winner"]
    call_2026 = winner.call
    ka220, ka210, final = projects["ka220"], projects["ka210"], projects["final"]
    editing, reviewed, public = cards["editing"], cards["reviewed"], cards["public"]
    amendment = ka220.amendments.first()

    def r(name, *args, **kwargs):
        return reverse(name, args=args, kwargs=kwargs or None)

    common = [r("home"), r("dashboard"), r("accounts:account_data"), r("accounts:accept_privacy"),
              r("account_email"), r("account_change_password"), r("mfa_index"), r("organisations:search"),
              r("results:search"), r("results:partners"), r("results:project", public.identifier),
              r("organisations:detail", applicant.oid), r("programme:calls"), r("opendata")]
    applicant_pages = common + [
        r("organisations:mine"), r("organisations:register"),
        r("organisations:register_step", registration.pk, "identity"),
        r("organisations:register_step", registration.pk, "address"),
        r("organisations:register_step", registration.pk, "numbers"),
        r("organisations:register_step", registration.pk, "contact"),
        r("organisations:register_step", registration.pk, "review"),
        r("organisations:invite", applicant.oid), r("organisations:member_edit", applicant.oid, membership.pk),
        r("applications:mine"), r("applications:create"), r("applications:detail", draft.pk),
        *(r("applications:section", draft.pk, key) for key in _section_keys()),
        r("applications:submit", draft.pk), r("applications:share", draft.pk),
        r("applications:incident", draft.pk), r("applications:detail", submitted.pk),
        r("applications:submit", submitted.pk), r("applications:incident", submitted.pk),
        r("evaluation:decision", winner.application_id),
        r("projects:mine"), r("projects:calendar"), r("projects:detail", ka220.pk), r("projects:detail", ka210.pk),
        r("projects:report", ka220.pk, projects["draft_report"].pk), r("projects:report", ka210.pk, final.pk),
        r("projects:amendment_new", ka220.pk), r("projects:people", ka220.pk),
        r("results:mine"), r("results:edit", editing.identifier), r("results:result_add", editing.identifier),
        r("results:result_edit", editing.identifier, cards["result"].pk),
        r("results:contact_add", editing.identifier),
        r("results:contact_edit", editing.identifier, cards["contact"].pk),
    ]
    partner_pages = common + [
        r("organisations:mine"), r("organisations:accept_invitation", org_token),
        r("applications:invitation", share_token), r("applications:mine"),
        r("applications:detail", draft.pk), *(r("applications:section", draft.pk, key) for key in _section_keys()),
        r("applications:share", draft.pk), r("applications:submit", draft.pk), r("projects:mine"),
        r("projects:detail", ka220.pk), r("projects:report", ka220.pk, projects["draft_report"].pk),
    ]
    staff_pages = common + [
        r("organisations:agency_queue"), r("organisations:agency_review", waiting_org.oid),
        r("applications:agency_incidents"), r("evaluation:workspace"), r("evaluation:experts"),
        r("evaluation:case", evaluation["pending"].pk), r("evaluation:case", evaluation["assessed"].pk),
        r("evaluation:case", winner.pk), r("evaluation:similarity", call_2026.pk),
        r("evaluation:finding", evaluation["finding"].pk), r("evaluation:ranking", call_2026.pk, "VET"),
        r("evaluation:ranking", staged[0].case.call_id, "VET"), r("evaluation:outbox"), r("evaluation:mail_log"),
        r("projects:agency_queue"), r("projects:agency_project", ka220.pk), r("projects:agency_project", ka210.pk),
        r("projects:agency_report", final.pk), r("projects:agency_report", projects["draft_report"].pk),
        r("results:review_queue"), r("results:review", reviewed.identifier), r("results:review", public.identifier),
        r("mfa_generate_recovery_codes"), r("mfa_deactivate_totp"),
        r("evaluation:case_application", evaluation["pending"].pk), r("evaluation:case_application", winner.pk),
        r("evaluation:envelopes"), r("evaluation:redress_list"),
    ]
    admin_pages = staff_pages + [r("programme:figures"), r("evaluation:envelope_new"),
                                 r("evaluation:envelope_transfer")]
    expert = evaluation["expert"]
    expert_pages = common + [r("evaluation:expert_assignments"), r("evaluation:assessment", evaluation["declared"].pk),
                             r("evaluation:assessment", evaluation["undeclared"].pk)]
    anonymous_pages = [
        r("home"), r("account_login"), r("account_signup"), r("account_reset_password"),
        _password_reset_path(member), r("accounts:confirm_email", confirmation_key), r("accounts:confirm_email", "x"),
        r("accounts:resend_verification"), r("organisations:search"), r("results:search"), r("results:partners"),
        r("results:project", public.identifier), r("organisations:detail", applicant.oid), r("opendata"),
        r("programme:calls"),
    ]
    world = World()
    world.people = {"coordinator": coordinator, "partner": partner, "officer": officer, "agency-admin": admin,
                    "expert": expert, "commission": commission, "anonymous": None}
    world.urls = {"coordinator": applicant_pages, "partner": partner_pages, "officer": staff_pages,
                  "agency-admin": admin_pages, "expert": expert_pages,
                  "commission": common, "anonymous": anonymous_pages}
    world.objects = {"draft": draft, "submitted": submitted, "ka220": ka220, "ka210": ka210, "public": public,
                     "winner": winner, "amendment": amendment, "share_invitation": share_invitation,
                     "waiting_org": Organisation.objects.get(pk=waiting_org.pk), **evaluation}
    return world


def build_api_world():
    """The few objects the API lists: a coordinator's draft and project, a case of LV01 for its officer, an
    expert's assignment, a public card."""
    from eplus.applications.creation import create_application
    from eplus.evaluation.checks import confirm_formal_check
    from eplus.evaluation.experts import assign, register_expert
    from eplus.evaluation.models import AssignmentRole
    from eplus.projects.creation import create_project
    from tests.evaluation import factories as f

    coordinator = make_user()
    applicant = make_organisation("LV", member=coordinator, certified=True)
    partner_org = make_organisation("LT", certified=True)
    officer = make_officer("LV01")
    call = Call.objects.select_related("action").get(year=2027, action__code="KA220", round=1)
    draft = create_application(coordinator, applicant, call, "VET")
    case = f.opened_case()
    confirm_formal_check(case, True, "", officer)
    expert = with_mfa(make_user())
    register_expert(Agency.objects.get(code="LV01"), email=expert.email, first_name="E", last_name="X",
                    languages=["en"], sectors=["VET"])
    assign(case, expert, AssignmentRole.FIRST, officer)
    project = create_project(make_application("KA210", lump_sum="60000", applicant=applicant, partners=[partner_org],
                                              months=12),
                             signed_on=date(2025, 8, 20), start_date=date(2025, 9, 1), end_date=date(2026, 8, 31),
                             lump_sum=Decimal("60000"), created_by=officer)
    public = _cards(coordinator, applicant, partner_org, officer)["public"]
    world = World()
    world.people = {"coordinator": coordinator, "officer": officer, "expert": expert}
    world.objects = {"draft": draft, "project": project, "public": public, "case": case}
    return world


def _section_keys():
    from eplus.applications.forms import SECTION_KEYS

    return SECTION_KEYS
