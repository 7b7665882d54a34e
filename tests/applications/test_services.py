import hashlib
import re
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.applications import annexes, creation, eligibility, incidents, local_time, rules, sharing, snapshots
from eplus.applications import errors as app_errors
from eplus.applications import partners as partnering
from eplus.applications import sections as section_saving
from eplus.applications import submission as submitting
from eplus.applications import forms as section_forms
from eplus.applications.models import (
    AccessLevel, Application, ApplicationAccess, Section, SectionStatus, SectionVersion, Status, Submission,
)
from eplus.core.files import MAX_DOCUMENT_BYTES
from eplus.core.models import AuditEvent
from eplus.organisations.models import Role
from eplus.programme.models import Agency, Call
from tests.factories import make_organisation, make_user

from .conftest import BRUSSELS, context_data, make_ready, save, wp_data
from tests.samples import large_pdf, png_bytes

NUMBER = re.compile(r"^2027-1-LV01-KA220-VET-\d{9}$")


# --- creation and routing -----------------------------------------------------------------------------

def test_application_goes_to_the_agency_of_the_applicant_country(application, applicant_org):
    assert application.agency.code == "LV01"
    assert application.status == Status.DRAFT and application.number is None
    assert list(application.participations.values_list("organisation__oid", "role")) == [
        (applicant_org.oid, "applicant")]
    assert set(application.sections.values_list("key", flat=True)) == set(section_forms.SECTION_KEYS)


def test_youth_goes_to_the_youth_agency(clock, ka220, coordinator):
    org = make_organisation("LV", member=coordinator, organisation_type="youth-organisation")
    application = creation.create_application(coordinator, org, ka220, "YOU")
    assert application.agency.code == "LV02"


def test_centralised_action_goes_to_the_executive_agency(clock, coordinator, programme):
    call = Call.objects.filter(action__managing_agency_kind="executive").select_related("action").first()
    if call is None:
        pytest.skip("no centralised call in the reference data")
    clock(call.deadline - timedelta(days=10))
    org = make_organisation("LV", member=coordinator)
    application = creation.create_application(coordinator, org, call, (call.action.sectors or [None])[0])
    assert application.agency == call.action.managing_agency
    assert application.agency.kind == Agency.Kind.EXECUTIVE


def test_only_members_create_and_only_for_open_calls(clock, ka220, applicant_org, coordinator, programme):
    stranger = make_user()
    with pytest.raises(PermissionDenied):
        creation.create_application(stranger, applicant_org, ka220, "VET")
    closed = Call.objects.get(year=2026, action__code="KA220", round=1)
    with pytest.raises(ValidationError):
        creation.create_application(coordinator, applicant_org, closed, "VET")


def test_add_participant_by_oid_with_registration_data(application, coordinator, partners):
    partnering.add_participant(application, partners[0].oid.lower(), "partner", coordinator)
    with pytest.raises(ValidationError) as exc:
        partnering.add_participant(application, "E99999999", "partner", coordinator)
    assert "E99999999" in str(exc.value)
    with pytest.raises(ValidationError):
        partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    app_input = eligibility.eligibility_input(application)
    lt = next(o for o in app_input.organisations if o.oid == partners[0].oid)
    assert lt.country == "LT" and lt.type == "vet-provider" and lt.role == "partner"


# --- permissions --------------------------------------------------------------------------------------

def test_access_levels(application, coordinator, applicant_org, partners, partner_user):
    member = make_user()
    applicant_org.memberships.create(user=member, role=Role.MEMBER)
    assert rules.access_level(coordinator, application) == AccessLevel.SUBMIT
    assert rules.access_level(member, application) == AccessLevel.EDIT
    assert rules.access_level(partner_user, application) is None
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    with pytest.raises(PermissionDenied):
        sharing.share(application, partner_user, AccessLevel.EDIT, member)  # members do not share
    sharing.share(application, partner_user, AccessLevel.VIEW, coordinator)
    fresh = Application.objects.get(pk=application.pk)
    assert rules.access_level(partner_user, fresh) == AccessLevel.VIEW
    with pytest.raises(PermissionDenied):
        save(fresh, "impact", {"impact": "x"}, partner_user)
    sharing.share(fresh, partner_user, AccessLevel.EDIT, coordinator)
    fresh = Application.objects.get(pk=application.pk)
    assert save(fresh, "impact", {"impact": "x"}, partner_user).conflict is False
    assert ApplicationAccess.objects.filter(application=application).count() == 1


def test_share_only_with_people_of_participating_organisations(application, coordinator):
    outsider = make_user()
    with pytest.raises(ValidationError):
        sharing.share(application, outsider, AccessLevel.VIEW, coordinator)


def test_visible_applications_filter(application, coordinator, partner_user):
    from eplus.applications.rules import visible_applications

    assert list(visible_applications(coordinator)) == [application]
    assert list(visible_applications(partner_user)) == []



def test_openable_application_matches_the_visible_list_and_knows_the_level_without_more_queries(
        application, coordinator, applicant_org, partners, partner_user, django_assert_num_queries):
    member = make_user()
    applicant_org.memberships.create(user=member, role=Role.MEMBER)
    for user, level in ((coordinator, AccessLevel.SUBMIT), (member, AccessLevel.EDIT)):
        with django_assert_num_queries(1):
            opened = rules.openable_application(user, application.pk)
            assert opened == application and opened.call.deadline and opened.applicant.oid
            assert rules.access_level(user, opened) == level
    assert rules.openable_application(partner_user, application.pk) is None  # not shared: not even seen
    assert rules.openable_application(coordinator, application.pk + 10_000) is None
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    sharing.share(application, partner_user, AccessLevel.VIEW, coordinator)
    assert rules.access_level(partner_user, rules.openable_application(partner_user, application.pk)) == AccessLevel.VIEW

# --- optimistic versioning ----------------------------------------------------------------------------

def test_second_save_from_the_same_base_gets_a_conflict_with_both_versions(application, coordinator, applicant_org):
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    first = section_saving.save_section(application, "impact", {"impact": "Mine"}, 0, coordinator)
    second = section_saving.save_section(application, "impact", {"impact": "Theirs"}, 0, colleague)
    assert first.conflict is False and first.section.version == 1
    assert second.conflict is True
    assert second.theirs == {"impact": "Mine"} and second.yours == {"impact": "Theirs"}
    assert second.theirs_version == 1 and second.base_version == 0
    assert Section.objects.get(application=application, key="impact").data == {"impact": "Mine"}
    # The user keeps theirs by saving from the version they now know: both stay in the history.
    third = section_saving.save_section(application, "impact", second.yours, second.theirs_version, colleague)
    assert third.conflict is False and third.section.version == 2
    history = list(SectionVersion.objects.filter(section__key="impact", section__application=application)
                   .order_by("version").values_list("data", flat=True))
    assert history == [{"impact": "Mine"}, {"impact": "Theirs"}]
    assert AuditEvent.objects.filter(verb="save-section", object_id=str(third.section.pk)).count() == 2


def test_saving_the_same_data_again_makes_no_new_version(application, coordinator):
    section_saving.save_section(application, "impact", {"impact": "Same"}, 0, coordinator)
    again = section_saving.save_section(application, "impact", {"impact": "Same"}, 0, coordinator)
    assert again.conflict is False and again.section.version == 1


# --- evaluation and statuses --------------------------------------------------------------------------

def test_section_statuses_follow_the_engine(application, coordinator):
    assert Section.objects.get(application=application, key="context").status == SectionStatus.NOT_STARTED
    save(application, "context", context_data(duration_months="48"), coordinator)
    section = Section.objects.get(application=application, key="context")
    assert section.status == SectionStatus.HAS_ERRORS
    verdict = eligibility.evaluate(application)
    assert any(c.rule == "duration.range" and c.passed is False for c in verdict.for_field("duration_months"))
    save(application, "context", context_data(), coordinator)
    assert Section.objects.get(application=application, key="context").status == SectionStatus.COMPLETE
    save(application, "impact", {"impact": "Only one field"}, coordinator)
    assert Section.objects.get(application=application, key="impact").status == SectionStatus.IN_PROGRESS


def test_design_amounts_that_do_not_add_up_mark_the_design_section(application, coordinator):
    save(application, "context", context_data(), coordinator)
    save(application, "design", wp_data(("50000.00", "100000.00")), coordinator)
    assert Section.objects.get(application=application, key="design").status == SectionStatus.HAS_ERRORS
    assert any(c.rule == "wp.sum" for c in eligibility.evaluate(application).errors)
    save(application, "design", wp_data(("50000.00", "100000.00", "100000.00")), coordinator)
    assert Section.objects.get(application=application, key="design").status == SectionStatus.COMPLETE


def test_bad_values_are_kept_as_typed(application, coordinator):
    save(application, "context", context_data(start_date="next autumn"), coordinator)
    section = Section.objects.get(application=application, key="context")
    assert section.data["start_date"] == "next autumn"
    assert section.status == SectionStatus.HAS_ERRORS
    application.refresh_from_db()
    assert application.start_date is None and application.title == "Green skills for fictional workshops"


# --- submission ---------------------------------------------------------------------------------------

def _at(hour, minute, second):
    return datetime(2027, 3, 4, hour, minute, second, tzinfo=BRUSSELS)


def test_deadline_boundary_in_brussels_time(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    clock(_at(12, 0, 0))
    with pytest.raises(app_errors.DeadlineClosed):
        submitting.submit(application, coordinator)
    assert Submission.objects.count() == 0
    clock(_at(11, 59, 59))
    submission = submitting.submit(application, coordinator)
    assert submission.submitted_at == _at(11, 59, 59)
    assert NUMBER.match(submission.number)


def test_submission_snapshot_number_mail_and_resubmission(clock, application, coordinator, partners,
                                                          django_capture_on_commit_callbacks):
    make_ready(application, coordinator, partners)
    clock(_at(9, 0, 0))
    with django_capture_on_commit_callbacks(execute=True):
        first = submitting.submit(application, coordinator)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.number == first.number
    assert first.sha256 == hashlib.sha256(snapshots.canonical_json(first.snapshot).encode()).hexdigest()
    assert first.snapshot["organisations"][0]["role"] == "applicant"
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert first.submission_id in body
    assert "09:00:00 CET" in body and "10:00:00 EET" in body and "Europe/Riga" in body

    save(application, "impact", {"impact": "Better", "dissemination": "Open", "sustainability": "Kept"}, coordinator)
    clock(_at(10, 0, 0))
    second = submitting.submit(application, coordinator)
    first.refresh_from_db()
    assert second.number == first.number  # the number stays, the new version replaces the old one
    assert second.is_current and not first.is_current
    assert Submission.objects.filter(application=application, is_current=True).get() == second
    assert second.sha256 != first.sha256


def test_submission_is_immutable(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    submission = submitting.submit(application, coordinator)
    submission = Submission.objects.get(pk=submission.pk)
    submission.snapshot = {"title": "changed"}
    with pytest.raises(ValidationError):
        submission.save()
    submission = Submission.objects.get(pk=submission.pk)
    submission.sha256 = "0" * 64
    with pytest.raises(ValidationError):
        submission.save()
    with pytest.raises(ValidationError):
        Submission.objects.get(pk=submission.pk).delete()


def test_incomplete_application_is_refused_with_its_problems(clock, application, coordinator):
    with pytest.raises(app_errors.NotEligible) as exc:
        submitting.submit(application, coordinator)
    keys = {key for key, _message in exc.value.problems}
    assert {"context", "organisations", "annexes"} <= keys
    assert Application.objects.get(pk=application.pk).number is None


def test_only_managers_submit(clock, application, coordinator, applicant_org, partners):
    make_ready(application, coordinator, partners)
    member = make_user()
    applicant_org.memberships.create(user=member, role=Role.MEMBER)
    with pytest.raises(PermissionDenied):
        submitting.submit(application, member)


def test_numbers_are_unique_and_sequential(clock, ka220, coordinator, partners):
    numbers = []
    for _ in range(3):
        org = make_organisation("LV", member=coordinator)
        application = creation.create_application(coordinator, org, ka220, "VET")
        extra = make_organisation("PL")
        make_ready(application, coordinator, [*partners, extra])
        numbers.append(submitting.submit(application, coordinator).number)
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert len(set(numbers)) == 3 and serials == sorted(serials) and serials[2] - serials[0] == 2


def test_same_consortium_only_once_per_deadline(clock, ka220, coordinator, applicant_org, partners):
    first = creation.create_application(coordinator, applicant_org, ka220, "VET")
    make_ready(first, coordinator, partners)
    submitting.submit(first, coordinator)
    second = creation.create_application(coordinator, applicant_org, ka220, "ADU")
    make_ready(second, coordinator, partners)
    with pytest.raises(app_errors.NotEligible) as exc:
        submitting.submit(second, coordinator)
    assert any("same consortium" in message for _key, message in exc.value.problems)


def test_ka210_applicant_once_per_round(clock, ka210, coordinator, applicant_org, partners):
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
    with pytest.raises(app_errors.NotEligible) as exc:
        submitting.submit(second, coordinator)
    assert any("at most 1" in message for _key, message in exc.value.problems)


def test_withdrawal_before_the_deadline_only(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    clock(_at(9, 0, 0))
    submission = submitting.submit(application, coordinator)
    submitting.withdraw(application, coordinator, "changed our plans")
    application.refresh_from_db()
    submission.refresh_from_db()
    assert application.status == Status.WITHDRAWN and not submission.is_current
    assert application.withdrawals.get().reason == "changed our plans"
    submitting.submit(application, coordinator)
    clock(_at(12, 0, 0))
    with pytest.raises(app_errors.DeadlineClosed):
        submitting.withdraw(application, coordinator)


def test_after_the_deadline_nothing_changes(clock, application, coordinator):
    clock(_at(12, 0, 1))
    with pytest.raises(app_errors.DeadlineClosed):
        save(application, "impact", {"impact": "late"}, coordinator)


# --- files --------------------------------------------------------------------------------------------

def test_annex_size_limit(application, coordinator, tmp_path):
    exact = SimpleUploadedFile("big.pdf", large_pdf(tmp_path / "big.pdf", MAX_DOCUMENT_BYTES).read_bytes())
    annex = annexes.add_annex(application, "declaration-on-honour", exact, coordinator)
    assert annex.size == MAX_DOCUMENT_BYTES and annex.content_type == "application/pdf"
    too_big = SimpleUploadedFile("bigger.pdf", large_pdf(tmp_path / "bigger.pdf", MAX_DOCUMENT_BYTES + 1).read_bytes())
    with pytest.raises(ValidationError, match="15 MB"):
        annexes.add_annex(application, "declaration-on-honour", too_big, coordinator)


def test_annex_type_is_checked_by_content(application, coordinator):
    exe = SimpleUploadedFile("declaration.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, content_type="application/pdf")
    with pytest.raises(ValidationError, match="not a PDF, PNG or JPEG"):
        annexes.add_annex(application, "declaration-on-honour", exe, coordinator)
    png = SimpleUploadedFile("scan.png", png_bytes())
    annex = annexes.add_annex(application, "other", png, coordinator)
    assert annex.content_type == "image/png"
    assert annex.sha256 == hashlib.sha256(png_bytes()).hexdigest()


# --- incidents and PDF ----------------------------------------------------------------------------------

def test_incident_is_time_stamped_on_the_server(clock, application, coordinator):
    clock(_at(11, 58, 30))
    report = incidents.report_incident(coordinator, application, "The upload froze.",
                                      [SimpleUploadedFile("s.png", png_bytes())])
    assert report.reported_at == _at(11, 58, 30)
    assert report.agency.code == "LV01" and report.screenshots.count() == 1
    from eplus.applications.rules import agency_incidents
    from eplus.programme.models import AgencyMembership

    officer = make_user()
    AgencyMembership.objects.create(user=officer, agency=report.agency, role="officer")
    assert list(agency_incidents(officer)) == [report]
    clock(_at(14, 0, 0))  # two hours after the deadline: too late
    with pytest.raises(app_errors.ApplicationError):
        incidents.report_incident(coordinator, application, "Too late", [])


def test_the_pdf_task_renders_a_pdf(clock, application, coordinator, partners, django_capture_on_commit_callbacks):
    make_ready(application, coordinator, partners)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submitting.submit(application, coordinator)
    assert not Submission.objects.get(pk=submission.pk).pdf  # nothing rendered inside the transaction
    for callback in callbacks:  # the commit enqueues the task; the immediate backend runs it
        callback()
    submission.refresh_from_db()
    with submission.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_country_time_zone_from_zone_tab():
    assert local_time.country_time_zone("LV").key == "Europe/Riga"
    assert local_time.country_time_zone("BE").key == "Europe/Brussels"


def test_your_own_save_in_between_is_not_a_conflict(application, coordinator, applicant_org):
    section_saving.save_section(application, "impact", {"impact": "autosaved half"}, 0, coordinator)
    result = section_saving.save_section(application, "impact", {"impact": "whole text"}, 0, coordinator)
    assert result.conflict is False and result.section.version == 2
    colleague = make_user()
    applicant_org.memberships.create(user=colleague, role=Role.MEMBER)
    assert section_saving.save_section(application, "impact", {"impact": "other"}, 1, colleague).conflict is True
