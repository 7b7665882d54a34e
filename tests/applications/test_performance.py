"""Deadline-day performance pieces: the SubmissionParty table behind the rules across applications, the
memoised programme reference data (and its invalidation), and upper bounds on the queries of a save and
a submission, so a regression shows here before it shows in ``./run bench deadline``."""

import importlib

from django.apps import apps
from django.test.utils import CaptureQueriesContext
from django.db import connection

from eplus.applications import annexes, creation, eligibility, refdata, section_data
from eplus.applications import partners as partnering
from eplus.applications import submission as submitting
from eplus.applications.models import Section, Status, Submission, SubmissionParty
from eplus.programme import rules as engine
from eplus.programme.models import Call, Country
from tests.factories import make_organisation

from .conftest import context_data, make_ready, save


def snapshot_others(application):
    """The former implementation: every current submission of the action and deadline, from snapshots."""
    call = application.call
    result = []
    current = (Submission.objects.filter(is_current=True, application__status=Status.SUBMITTED,
                                         application__action_id=application.action_id,
                                         application__call__deadline=call.deadline)
               .exclude(application_id=application.pk).values_list("application_id", "snapshot"))
    for app_id, snapshot in current:
        orgs = snapshot["organisations"]
        result.append(engine.OtherApplication(
            id=str(app_id), action=snapshot["action"], sector=snapshot["sector"] or None, deadline=call.deadline,
            agency_code=snapshot["agency"], status=engine.model.SUBMITTED,
            applicant_oid=next((o["oid"] for o in orgs if o["role"] == "applicant"), None),
            partner_oids=tuple(o["oid"] for o in orgs if o["role"] == "partner"),
            associated_partner_oids=tuple(o["oid"] for o in orgs if o["role"] == "associated-partner")))
    return result


def same_verdict(application):
    fresh = type(application).objects.select_related("call", "action", "agency", "applicant").get(pk=application.pk)
    by_table = eligibility.evaluate(fresh)
    by_snapshots = eligibility.evaluate(fresh, others=snapshot_others(fresh))
    assert by_table.checks == by_snapshots.checks
    return by_table


def parties(application):
    return sorted(SubmissionParty.objects.filter(application=application).values_list("oid", "role", "submission_id"))


def test_parties_recorded_replaced_on_resubmission_and_removed_on_withdrawal(
        clock, application, coordinator, applicant_org, partners):
    make_ready(application, coordinator, partners)
    first = submitting.submit(application, coordinator)
    assert parties(application) == sorted([(applicant_org.oid, "applicant", first.pk),
                                           (partners[0].oid, "partner", first.pk),
                                           (partners[1].oid, "partner", first.pk)])
    row = SubmissionParty.objects.filter(application=application).first()
    assert (row.action_code, row.sector, row.agency_code, row.deadline) == (
        "KA220", "VET", "LV01", application.call.deadline)
    partnering.remove_participant(application, application.participations.get(organisation=partners[1]), coordinator)
    german = make_organisation("DE")
    partnering.add_participant(application, german.oid, "partner", coordinator)
    make_ready_annexes(application, coordinator)
    second = submitting.submit(application, coordinator)
    assert parties(application) == sorted([(applicant_org.oid, "applicant", second.pk),
                                           (partners[0].oid, "partner", second.pk),
                                           (german.oid, "partner", second.pk)])
    submitting.withdraw(application, coordinator, "plans changed")
    assert parties(application) == []


def test_cross_application_rules_same_as_over_the_snapshots(clock, ka220, coordinator, applicant_org, partners):
    first = creation.create_application(coordinator, applicant_org, ka220, "VET")
    make_ready(first, coordinator, partners)
    submitting.submit(first, coordinator)
    # An unrelated submitted application (no shared OID) is not even read.
    other_org = make_organisation("LV", member=coordinator)
    unrelated = creation.create_application(coordinator, other_org, ka220, "VET")
    make_ready(unrelated, coordinator, [make_organisation("PL"), make_organisation("FI")])
    submitting.submit(unrelated, coordinator)

    second = creation.create_application(coordinator, applicant_org, ka220, "ADU")
    make_ready(second, coordinator, partners)
    others = eligibility.other_applications(second)
    assert [o.id for o in others] == [str(first.pk)]
    verdict = same_verdict(second)
    assert any(c.rule == "consortium.once-per-deadline" and c.passed is False for c in verdict.checks)

    # Resubmitting the first one with another consortium frees the second one.
    partnering.remove_participant(first, first.participations.get(organisation=partners[1]), coordinator)
    partnering.add_participant(first, make_organisation("DE").oid, "partner", coordinator)
    first.refresh_from_db()
    make_ready_annexes(first, coordinator)
    submitting.submit(first, coordinator)
    verdict = same_verdict(second)
    assert any(c.rule == "consortium.once-per-deadline" and c.passed is True for c in verdict.checks)

    # Withdrawn: no longer counted at all.
    submitting.withdraw(first, coordinator)
    assert eligibility.other_applications(second) == []
    same_verdict(second)


def make_ready_annexes(application, user):
    from eplus.applications.models import AnnexKind

    from tests.factories import pdf_file

    for p in application.participations.filter(role="partner").select_related("organisation"):
        if not application.annexes.filter(kind=AnnexKind.MANDATE, organisation=p.organisation).exists():
            annexes.add_annex(application, AnnexKind.MANDATE, pdf_file(), user, organisation=p.organisation)


def test_ka210_applicant_limit_via_the_table(clock, ka210, coordinator, applicant_org, partners):
    def ka210_ready(sector):
        application = creation.create_application(coordinator, applicant_org, ka210, sector)
        make_ready(application, coordinator, [partners[0]])
        save(application, "context", context_data(lump_sum="30000.00", duration_months="12"), coordinator)
        save(application, "design", {"items": [{"title": "Meeting", "description": "d", "start": "2027-10-01",
                                                 "end": "2027-10-03", "venue": "Riga, LV", "participants": "10",
                                                 "amount": "30000.00"}]}, coordinator)
        return application

    first = ka210_ready("VET")
    submitting.submit(first, coordinator)
    second = ka210_ready("ADU")
    verdict = same_verdict(second)
    assert any(c.rule == "limits.applicant-once-per-round" and c.passed is False for c in verdict.checks)
    submitting.withdraw(first, coordinator)
    verdict = same_verdict(second)
    assert any(c.rule == "limits.applicant-once-per-round" and c.passed is True for c in verdict.checks)
    submitting.submit(second, coordinator)


def test_data_migration_fills_the_parties_of_existing_submissions(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    submitting.submit(application, coordinator)
    expected = parties(application)
    SubmissionParty.objects.all().delete()
    migration = importlib.import_module("eplus.applications.migrations.0002_submission_parties")
    migration.fill_parties(apps, None)
    assert parties(application) == expected


# --- reference data memo -------------------------------------------------------------------------------

def fresh(application):
    return type(application).objects.select_related("call", "action", "agency", "applicant").get(pk=application.pk)


def test_an_edit_of_the_call_is_seen_by_the_next_evaluation(application, coordinator):
    save(application, "context", context_data(duration_months="24"), coordinator)
    assert not [c for c in eligibility.evaluate(fresh(application)).errors if c.rule == "duration.range"]
    call = Call.objects.get(pk=application.call_id)
    call.duration_max_months = 12
    call.save()  # what the admin does
    verdict = eligibility.evaluate(fresh(application))
    assert any(c.rule == "duration.range" and c.passed is False for c in verdict.checks)


def test_an_edit_of_the_call_in_the_admin_is_seen_at_once(application, coordinator, client):
    from django.contrib import admin

    from eplus.programme.admin import CallAdmin  # noqa: F401 - registered there

    save(application, "context", context_data(duration_months="24"), coordinator)
    call = Call.objects.get(pk=application.call_id)
    model_admin = admin.site._registry[Call]
    call.duration_max_months = 12
    model_admin.save_model(request=None, obj=call, form=None, change=True)
    assert any(c.rule == "duration.range" and c.passed is False for c in eligibility.evaluate(fresh(application)).checks)


def test_a_country_edit_bumps_the_data_version(application):
    before = refdata.current_token()
    eligibility.evaluate(fresh(application))
    country = Country.objects.get(code="LT")
    country.name = "Fictional Lithuania"
    country.save()
    assert refdata.current_token() != before
    infos = eligibility.country_infos(fresh(application))
    assert any(info.name == "Fictional Lithuania" for info in infos)


def test_reference_data_is_not_read_again_while_unchanged(application):
    eligibility.evaluate(fresh(application))
    app = fresh(application)
    with CaptureQueriesContext(connection) as queries:
        eligibility.evaluate(app)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert 'FROM "programme_country"' not in sql and 'FROM "programme_priority"' not in sql
    assert "snapshot" not in sql and len(queries.captured_queries) <= 5


# --- query bounds --------------------------------------------------------------------------------------

SAVE_MAX_QUERIES = 21
SUBMIT_PAGE_MAX_QUERIES = 17
SUBMIT_POST_MAX_QUERIES = 33


def test_autosave_api_query_bound(client, application, coordinator, partners, django_assert_max_num_queries):
    make_ready(application, coordinator, partners)
    client.force_login(coordinator)
    url = f"/api/v1/applications/{application.pk}/sections/impact"
    version = Section.objects.get(application=application, key="impact").version
    client.get(url)  # warm the reference-data memo of this process
    with django_assert_max_num_queries(SAVE_MAX_QUERIES):
        response = client.put(url, {"data": {"impact": "More impact", "dissemination": "Open",
                                             "sustainability": "Kept"}, "base_version": version},
                              content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == version + 1 and response.json()["eligible"] is True


def test_submit_page_and_post_query_bounds(client, clock, application, coordinator, partners,
                                           django_assert_max_num_queries):
    make_ready(application, coordinator, partners)
    client.force_login(coordinator)
    url = f"/applications/{application.pk}/submit/"
    with django_assert_max_num_queries(SUBMIT_PAGE_MAX_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(SUBMIT_POST_MAX_QUERIES):
        response = client.post(url)
    assert response.status_code == 302, response.content[:500]
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_refused_submission_re_renders_with_the_problems(client, clock, application, coordinator):
    client.force_login(coordinator)
    response = client.post(f"/applications/{application.pk}/submit/")
    assert response.status_code == 409
    assert not Submission.objects.filter(application=application).exists()


def test_a_save_stores_the_status_of_every_section_and_the_task_list_only_reads(
        client, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    # A status gone stale behind the domain functions' back (as after a change elsewhere).
    Section.objects.filter(application=application, key="summary").update(status="not-started")
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/applications/{application.pk}/")
    assert page.status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT",
                                                                                                   "DELETE"))]
    assert writes == []
    # The page shows the status computed now, without storing it.
    assert [row for row in page.context["rows"] if row[0] == "summary"][0][2] == "complete"
    assert Section.objects.get(application=application, key="summary").status == "not-started"
    # A save of another section brings every stored status up to date.
    save(application, "impact", {"impact": "Other", "dissemination": "Open", "sustainability": "Kept"}, coordinator)
    assert Section.objects.get(application=application, key="summary").status == "complete"


def test_a_programme_data_edit_refreshes_the_stored_statuses_after_commit(
        application, coordinator, partners):
    from eplus.programme.models import Priority

    make_ready(application, coordinator, partners)
    assert Section.objects.get(application=application, key="relevance").status == "complete"
    code = Section.objects.get(application=application, key="relevance").data["priorities"][0]
    priority = Priority.objects.get(code=code)
    priority.active = False
    priority.save()
    priority.save()  # two edits in one transaction: one refresh, after the commit
    pending = [item[1] for item in connection.run_on_commit if item[1] is refdata.refresh_statuses_later]
    assert len(pending) == 1
    assert Section.objects.get(application=application, key="relevance").status == "complete"
    pending[0]()  # what the commit runs: the task (immediate in tests)
    assert Section.objects.get(application=application, key="relevance").status == "has-errors"


def test_the_refresh_leaves_closed_calls_alone(application, coordinator, clock):
    from eplus.applications.statuses import refresh_open_applications
    from .test_services import _at

    Section.objects.filter(application=application, key="summary").update(status="complete")
    clock(_at(12, 0, 0))
    refresh_open_applications()
    assert Section.objects.get(application=application, key="summary").status == "complete"
    clock(_at(11, 0, 0))
    refresh_open_applications()
    assert Section.objects.get(application=application, key="summary").status == "not-started"


def test_a_priority_switched_off_leaves_the_form_at_once(application):
    from eplus.programme.models import Priority

    form = section_data.section_form(fresh(application), "relevance", {})
    codes = [code for code, _name in form.fields["priorities"].choices]
    assert codes
    priority = Priority.objects.get(code=codes[0])
    priority.active = False
    priority.save()
    form = section_data.section_form(fresh(application), "relevance", {})
    assert codes[0] not in [code for code, _name in form.fields["priorities"].choices]
