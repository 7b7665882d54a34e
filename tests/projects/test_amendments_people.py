"""Approved amendments change the project exactly (dates, partners with their people's rights and the
public card, the split of the budget to the cent); the People and rights page; payments as XLSX."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eplus.core.audit import history
from eplus.organisations.models import Membership, Role
from eplus.projects import amendments, dossier, exports, queries, reports, workflow
from eplus.projects import people as people_rights
from eplus.projects.base import ProjectError
from eplus.projects.models import Project, AccessLevel, AmendmentStatus, ProjectAccess, ProjectPartner, ReportKind
from tests.factories import make_organisation, make_user

from .test_services import can_edit, can_manage_people, can_view, fill, level_of
from .test_views import _report_post, login


def card_partners(project):
    card = queries.project_card(project)
    return [o.oid for o in card.organisations.filter(role="partner").order_by("order")]


@pytest.fixture
def newcomer(people):
    """An organisation that is not yet a partner, with a contact person and a plain member."""
    contact = make_user("newcomer@example.org", first_name="Piret", last_name="Newcomer")
    organisation = make_organisation("EE", "Tartu Vocational Centre", contact, role=Role.CONTACT_PERSON,
                                     certified=True)
    Membership.objects.create(organisation=organisation, user=make_user(), role=Role.MEMBER)
    return {"organisation": organisation, "contact": contact}


# --- partners ----------------------------------------------------------------------------------

def test_project_keeps_its_partners_from_the_application(ka210, people):
    assert queries.active_partners(ka210) == [people["partner_org"]]
    assert card_partners(ka210) == [people["partner_org"].oid]


def test_approved_partner_addition_adds_the_partner_its_contacts_and_the_card(ka210, people, newcomer):
    organisation = newcomer["organisation"]
    amendment = amendments.request_amendment(
        ka210, people["coordinator"], kind="partners", description="A third country school joins.",
        proposed={"partner_action": "add", "partner_oid": organisation.oid.lower()})
    assert amendment.proposed["partner_oid"] == organisation.oid
    # Requested only: nothing changes yet.
    assert organisation not in queries.active_partners(ka210)
    assert not can_view(newcomer["contact"], ka210)
    amendments.decide_amendment(amendment, people["officer"], approve=True)
    ka210 = Project.objects.get(pk=ka210.pk)  # a fresh instance: no cached rights
    assert queries.active_partners(ka210) == [people["partner_org"], organisation]
    assert level_of(newcomer["contact"], ka210) == AccessLevel.VIEW
    assert ProjectAccess.objects.filter(project=ka210).count() == 4  # coordinator, member, partner, newcomer
    assert card_partners(ka210) == [people["partner_org"].oid, organisation.oid]
    partner = ProjectPartner.objects.get(project=ka210, organisation=organisation)
    assert history(partner).filter(action="create", verb="amend-partners",
                                   reason="A third country school joins.").exists()


def test_approved_partner_removal_takes_the_rights_away_and_updates_the_card(ka210, people):
    assert can_view(people["partner"], ka210)
    amendment = amendments.request_amendment(
        ka210, people["coordinator"], kind="partners", description="The partner leaves.",
        proposed={"partner_action": "remove", "partner_oid": people["partner_org"].oid})
    amendments.decide_amendment(amendment, people["officer"], approve=True)
    assert queries.active_partners(ka210) == []
    assert not ProjectAccess.objects.filter(project=ka210, user=people["partner"]).exists()
    assert can_edit(people["coordinator"], ka210)  # the coordinator's people keep theirs
    assert card_partners(ka210) == []
    partner = ProjectPartner.objects.get(project=ka210, organisation=people["partner_org"])
    assert not partner.active and history(partner).filter(verb="amend-partners").exists()


@pytest.mark.parametrize("proposed,message", [
    ({"partner_action": "add", "partner_oid": "E99999999"}, "No organisation has this OID"),
    ({"partner_action": "add", "partner_oid": "partner"}, "already a partner"),
    ({"partner_action": "remove", "partner_oid": "applicant"}, "coordinator cannot be added or removed"),
    ({"partner_action": "", "partner_oid": "partner"}, "added or removed"),
])
def test_partner_change_refused_with_a_clear_message(ka210, people, proposed, message):
    proposed = dict(proposed)
    if proposed["partner_oid"] in ("partner", "applicant"):
        proposed["partner_oid"] = people[{"partner": "partner_org", "applicant": "applicant"}[
            proposed["partner_oid"]]].oid
    with pytest.raises(ProjectError, match=message):
        amendments.request_amendment(ka210, people["coordinator"], kind="partners", description="Change.",
                                   proposed=proposed)


# --- the split of the budget -------------------------------------------------------------------

def test_budget_split_must_add_up_to_the_lump_sum_to_the_cent(ka220, people):
    with pytest.raises(ProjectError, match="add up to 249 999,99|add up to"):
        amendments.request_amendment(ka220, people["coordinator"], kind="budget", description="Move money.",
                                   proposed={"amount_1": "40000.00", "amount_2": "110000.00",
                                             "amount_3": "99999.99"})
    with pytest.raises(ProjectError, match="amount of “Pilot courses”"):
        amendments.request_amendment(ka220, people["coordinator"], kind="budget", description="Move money.",
                                   proposed={"amount_1": "40000", "amount_2": "110000", "amount_3": "1.001"})
    interim = ka220.reports.get(kind=ReportKind.INTERIM)
    reports.report_sections(interim)
    reports.save_report(interim, people["coordinator"], language="en", sections=interim.sections)
    amendment = amendments.request_amendment(
        ka220, people["coordinator"], kind="budget", description="More for training.",
        proposed={"amount_1": "40000.00", "amount_2": "110000.01", "amount_3": "99999.99"})
    ka220.refresh_from_db()
    assert [i["amount"] for i in ka220.budget_items] == ["50000.00", "100000.00", "100000.00"]
    amendments.decide_amendment(amendment, people["officer"], approve=True)
    ka220.refresh_from_db()
    assert [i["amount"] for i in ka220.budget_items] == ["40000.00", "110000.01", "99999.99"]
    assert sum(Decimal(i["amount"]) for i in ka220.budget_items) == ka220.lump_sum
    assert [i["title"] for i in ka220.budget_items] == ["Project management", "Training programme", "Pilot courses"]
    interim.refresh_from_db()
    assert [b["planned"] for b in interim.sections["budget"]] == ["40000.00", "110000.01", "99999.99"]
    event = history(ka220).filter(verb="amend-budget").get()
    assert "budget_items" in event.changes and event.reason == "More for training."


def test_rejected_amendment_changes_nothing(ka220, people):
    amendment = amendments.request_amendment(
        ka220, people["coordinator"], kind="budget", description="More for training.",
        proposed={"amount_1": "40000", "amount_2": "110000", "amount_3": "100000"})
    amendments.decide_amendment(amendment, people["officer"], approve=False, reason="Not justified.")
    ka220.refresh_from_db()
    assert amendment.status == AmendmentStatus.REJECTED
    assert [i["amount"] for i in ka220.budget_items] == ["50000.00", "100000.00", "100000.00"]


def test_no_amendment_while_a_report_is_with_the_agency(ka210, people, newcomer):
    amendment = amendments.request_amendment(
        ka210, people["coordinator"], kind="partners", description="Joins.",
        proposed={"partner_action": "add", "partner_oid": newcomer["organisation"].oid})
    final = fill(ka210.reports.get(kind=ReportKind.FINAL), people["coordinator"], used="1")
    workflow.submit_report(final, people["coordinator"])
    with pytest.raises(ProjectError, match="locks the project data"):
        amendments.request_amendment(ka210, people["coordinator"], kind="budget", description="Move.",
                                   proposed={"amount_1": "30000", "amount_2": "30000"})
    with pytest.raises(ProjectError, match="locks the project data"):
        amendments.decide_amendment(amendment, people["officer"], approve=True)
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.REQUESTED
    assert newcomer["organisation"] not in queries.active_partners(ka210)


# --- people and rights -------------------------------------------------------------------------

def test_coordinator_grants_edit_to_a_partner_contact(ka210, people):
    final = ka210.reports.get(kind=ReportKind.FINAL)
    assert can_manage_people(people["coordinator"], ka210)
    for user in ("partner", "member", "outsider"):
        assert not can_manage_people(people[user], ka210)
    with pytest.raises(PermissionDenied):
        people_rights.set_person_access(ka210, people["member"], "edit", people["partner"])
    with pytest.raises(ProjectError, match="act for the coordinator or a partner"):
        people_rights.set_person_access(ka210, people["outsider"], "view", people["coordinator"])
    with pytest.raises(ProjectError, match="own rights"):
        people_rights.set_person_access(ka210, people["coordinator"], "view", people["coordinator"])
    access = people_rights.set_person_access(ka210, people["partner"], "edit", people["coordinator"])
    assert access.level == "edit" and history(access).filter(verb="change-access").exists()
    # Edit rights: the partner contact writes the report ...
    reports.save_report(final, people["partner"], language="en", sections={"activities": "By the partner."})
    final.refresh_from_db()
    assert final.sections["activities"] == "By the partner."
    # ... and, as the existing rule gives submission to whoever holds edit rights, may submit it.
    assert people["partner"].has_perm("projects.submit_report", ka210)
    assert people["partner"].has_perm("projects.submit_report", ka210) == can_edit(people["partner"], ka210)
    # Withdrawn: no access at all.
    people_rights.set_person_access(ka210, people["partner"], "none", people["coordinator"])
    assert not can_view(people["partner"], ka210)
    assert not people["partner"].has_perm("projects.submit_report", ka210)


def test_people_and_rights_rows(ka210, people):
    rows = queries.people_and_rights(ka210)
    by_email = {r["user"].email: r for r in rows}
    assert set(by_email) == {"coordinator@example.org", "member@example.org", "partner@example.org"}
    assert by_email["partner@example.org"]["level"] == "view"
    assert by_email["coordinator@example.org"]["level"] == "edit" and rows[0]["is_coordinator"]


# --- pages -------------------------------------------------------------------------------------

def test_people_page_only_for_the_coordinators_managers(client, ka210, people, newcomer):
    url = reverse("projects:people", args=[ka210.pk])
    for user in ("partner", "member", "outsider", "officer"):
        login(client, people[user])
        assert client.get(url).status_code == 404, user
        assert client.post(url, {f"level_{people['partner'].pk}": "edit"}).status_code == 404, user
    login(client, people["coordinator"])
    page = client.get(url).content.decode()
    assert "Nemunas Training Centre" in page and "Tomas Partner" in page
    assert "Tartu Vocational Centre" not in page  # not a partner: nobody from it is offered
    assert f'name="level_{people["coordinator"].pk}"' not in page  # never one's own rights
    detail = client.get(reverse("projects:detail", args=[ka210.pk])).content.decode()
    assert url in detail


def test_granting_edit_on_the_page_lets_the_partner_edit_the_report(client, ka210, people):
    url = reverse("projects:people", args=[ka210.pk])
    final = ka210.reports.get(kind=ReportKind.FINAL)
    report_url = reverse("projects:report", args=[ka210.pk, final.pk])
    login(client, people["partner"])
    assert client.post(report_url, _report_post(final)).status_code == 403
    login(client, people["coordinator"])
    response = client.post(url, {f"level_{people['partner'].pk}": "edit", f"level_{people['member'].pk}": "view"})
    assert response.status_code == 302
    assert level_of(people["partner"], ka210) == "edit"
    # Still not allowed to manage people: the partner does not act for the coordinator.
    login(client, people["partner"])
    assert client.get(url).status_code == 404
    assert client.post(report_url, _report_post(final)).status_code == 302
    final.refresh_from_db()
    assert final.sections["activities"] == "Courses in Riga, 1-5 October 2025."


def test_bad_choice_keeps_the_page_with_a_message(client, ka210, people):
    login(client, people["coordinator"])
    url = reverse("projects:people", args=[ka210.pk])
    response = client.post(url, {f"level_{people['partner'].pk}": "owner"})
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert level_of(people["partner"], ka210) == "view"


def test_changing_rights_needs_a_recent_reauthentication(client, ka210, people):
    client.force_login(people["coordinator"])
    response = client.post(reverse("projects:people", args=[ka210.pk]), {f"level_{people['partner'].pk}": "edit"})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert level_of(people["partner"], ka210) == "view"


def _add_partner_people(ka210, count):
    organisation = make_organisation("LT", f"Partner with {count} people", certified=True)
    ProjectPartner.objects.create(project=ka210, organisation=organisation, order=5)
    for _ in range(count):
        Membership.objects.create(organisation=organisation, user=make_user(), role=Role.CONTACT_PERSON)


def test_people_page_constant_queries(client, ka210, people):
    login(client, people["coordinator"])
    url = reverse("projects:people", args=[ka210.pk])
    _add_partner_people(ka210, 1)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    _add_partner_people(ka210, 2)
    three = count()
    assert len(queries.people_and_rights(ka210)) == 6
    assert three == one


def test_amendment_pages_for_partners_and_budget(client, ka210, people, newcomer):
    login(client, people["coordinator"])
    url = reverse("projects:amendment_new", args=[ka210.pk])
    response = client.post(url, {"kind": "budget", "description": "Move 500 EUR.", "amount_1": "20500.00",
                                 "amount_2": "40000.00"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "add up exactly to the lump sum" in text and "20500.00" in text and "Move 500 EUR." in text
    assert client.post(url, {"kind": "budget", "description": "Move 500 EUR.", "amount_1": "20500.00",
                             "amount_2": "39500.00"}).status_code == 302
    response = client.post(url, {"kind": "partners", "description": "Joins.", "partner_action": "add"})
    assert response.status_code == 200 and "Give the OID of the organisation." in response.content.decode()
    assert client.post(url, {"kind": "partners", "description": "Joins.", "partner_action": "add",
                             "partner_oid": newcomer["organisation"].oid}).status_code == 302
    login(client, people["officer"])
    agency_url = reverse("projects:agency_project", args=[ka210.pk])
    page = client.get(agency_url).content.decode()
    assert "Tartu Vocational Centre" in page
    for amendment in ka210.amendments.all():
        assert client.post(agency_url, {"action": "approve-amendment", "amendment": amendment.pk}).status_code == 302
    ka210.refresh_from_db()
    assert [i["amount"] for i in ka210.budget_items] == ["20500.00", "39500.00"]
    assert newcomer["organisation"] in queries.active_partners(ka210)


# --- payments XLSX -----------------------------------------------------------------------------

def _sheet_rows(content):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_payments_xlsx_for_the_coordinator_and_the_agency(client, ka210, ka220, people):
    login(client, people["coordinator"])
    response = client.get(reverse("projects:payments_export_xlsx", args=[ka210.pk]))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    rows = _sheet_rows(response.content)
    assert rows[0] == list(exports.PAYMENT_COLUMNS)
    assert [(r[0], r[1], Decimal(str(r[3])).quantize(Decimal("0.01"))) for r in rows[1:]] == [
        (ka210.number, p.kind, p.amount) for p in ka210.payments.order_by("sequence")]
    assert rows[1][5].date() == ka210.payments.get(sequence=1).due
    login(client, people["outsider"])
    assert client.get(reverse("projects:payments_export_xlsx", args=[ka210.pk])).status_code == 404
    assert client.get(reverse("projects:agency_payments_export_xlsx")).status_code == 404
    login(client, people["officer"])
    rows = _sheet_rows(client.get(reverse("projects:agency_payments_export_xlsx")).content)
    assert {r[0] for r in rows[1:]} == {ka210.number, ka220.number}
    assert len(rows) - 1 == ka210.payments.count() + ka220.payments.count()
    other = make_user()
    from tests.factories import make_officer

    login(client, make_officer("LV02"))
    assert len(_sheet_rows(client.get(reverse("projects:agency_payments_export_xlsx")).content)) == 1
    assert other.pk


def test_dossier_lists_the_partners_and_their_history(ka210, people):
    import json
    import zipfile

    amendment = amendments.request_amendment(
        ka210, people["coordinator"], kind="partners", description="The partner leaves.",
        proposed={"partner_action": "remove", "partner_oid": people["partner_org"].oid})
    amendments.decide_amendment(amendment, people["officer"], approve=True)
    with zipfile.ZipFile(dossier.dossier_zip(ka210)) as archive:
        data = json.loads(archive.read("project.json"))
        trail = json.loads(archive.read("audit/audit-trail.json"))
    assert data["partners"] == [{"oid": people["partner_org"].oid, "name": "Nemunas Training Centre",
                                 "active": False}]
    assert any(row["verb"] == "amend-partners" and row["object"].startswith("projects.projectpartner")
               for row in trail)
