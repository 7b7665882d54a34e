"""Idempotent transitions (a second identical call changes nothing) and the branches of the pages:
partners, annexes, sharing, conflicts, withdrawal; the permissions the views declare."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eplus.applications import annexes, incidents, sharing
from eplus.applications import partners as partnering
from eplus.applications import submission as submitting
from eplus.applications.errors import ApplicationError
from eplus.applications.models import AnnexKind, ApplicationAccess, IncidentReport, Section
from eplus.applications.values import parse_int, parse_money
from eplus.applications.views.common import add_errors, remaining
from eplus.core.models import AuditEvent

from .conftest import make_ready, make_user, pdf_file, save


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def section_url(application, key):
    return reverse("applications:section", args=[application.pk, key])


# --- idempotent transitions ------------------------------------------------------------------------------

def test_sharing_twice_records_once_and_unsharing_twice_is_harmless(application, coordinator, partners,
                                                                    partner_user):
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    first = sharing.share(application, partner_user, "edit", coordinator)
    events = AuditEvent.objects.filter(verb="share").count()
    assert sharing.share(application, partner_user, "edit", coordinator).pk == first.pk
    assert AuditEvent.objects.filter(verb="share").count() == events
    changed = sharing.share(application, partner_user, "view", coordinator)
    assert changed.pk == first.pk and ApplicationAccess.objects.get().level == "view"
    sharing.unshare(application, first, coordinator)
    sharing.unshare(application, first, coordinator)
    assert not ApplicationAccess.objects.exists()


def test_share_refuses_a_bad_level_and_a_stranger(application, coordinator):
    with pytest.raises(ValidationError):
        sharing.share(application, make_user(), "submit", coordinator)
    with pytest.raises(ValidationError):
        sharing.share(application, make_user(), "view", coordinator)


def test_the_same_annex_uploaded_twice_is_kept_once_and_removed_once(application, coordinator):
    first = annexes.add_annex(application, AnnexKind.DECLARATION, pdf_file(), coordinator)
    again = annexes.add_annex(application, AnnexKind.DECLARATION, pdf_file("again.pdf"), coordinator)
    assert again.pk == first.pk and application.annexes.count() == 1
    version = Section.objects.get(application=application, key="annexes").version
    annexes.remove_annex(application, first, coordinator)
    annexes.remove_annex(application, first, coordinator)
    assert application.annexes.count() == 0
    assert Section.objects.get(application=application, key="annexes").version == version + 1


def test_an_annex_needs_a_kind_and_a_mandate_its_partner(application, coordinator):
    with pytest.raises(ValidationError):
        annexes.add_annex(application, "nonsense", pdf_file(), coordinator)
    with pytest.raises(ValidationError):
        annexes.add_annex(application, AnnexKind.MANDATE, pdf_file(), coordinator)


def test_a_partner_removed_twice_and_a_wrong_role(application, coordinator, partners):
    participation = partnering.add_participant(application, partners[1].oid, "partner", coordinator)
    partnering.remove_participant(application, participation, coordinator)
    partnering.remove_participant(application, participation, coordinator)
    assert application.participations.count() == 1
    with pytest.raises(ValidationError):
        partnering.add_participant(application, partners[1].oid, "applicant", coordinator)
    with pytest.raises(ApplicationError):
        partnering.remove_participant(application, application.participations.get(), coordinator)


def test_a_second_identical_incident_report_is_the_same_report(application, coordinator, clock):
    first = incidents.report_incident(coordinator, application, "The page froze")
    assert incidents.report_incident(coordinator, application, "  The page froze ").pk == first.pk
    assert IncidentReport.objects.count() == 1
    clock(incidents.incident_window_closes(application.call))
    with pytest.raises(ApplicationError, match="within 2 hours"):
        incidents.report_incident(coordinator, application, "Later")
    assert incidents.incident_hours(application.call) == 2


def test_withdrawing_twice_changes_nothing_the_second_time(application, coordinator, partners):
    make_ready(application, coordinator, partners)
    submitting.submit(application, coordinator)
    submitting.withdraw(application, coordinator, "changed our mind")
    again = submitting.withdraw(application, coordinator, "changed our mind")
    assert again.status == "withdrawn" and again.withdrawals.count() == 1


def test_an_unchanged_resubmission_is_the_current_submission_and_a_changed_one_is_new(
        application, coordinator, partners):
    make_ready(application, coordinator, partners)
    first = submitting.submit(application, coordinator)
    assert submitting.submit(application, coordinator).pk == first.pk
    save(application, "impact", {"impact": "More", "dissemination": "Open", "sustainability": "Kept"}, coordinator)
    second = submitting.submit(application, coordinator)
    assert second.pk != first.pk and second.number == first.number


# --- small helpers ---------------------------------------------------------------------------------------

def test_parsers_and_countdown():
    assert parse_int("x") is None and parse_int(" 7 ") == 7
    assert parse_money("abc") is None and str(parse_money("12.50")) == "12.50"
    from eplus.core import time as clock

    now = clock.now()
    assert remaining(now + timedelta(hours=3, minutes=5), now) == "3 h 5 min left"
    assert remaining(now + timedelta(days=2, hours=1), now) == "2 days, 1 h left"
    assert remaining(now, now) == "Closed"


def test_add_errors_puts_a_plain_error_on_the_form():
    from eplus.applications.forms import ShareForm

    form = ShareForm({"email": "a@example.org", "level": "view"})
    form.is_valid()
    add_errors(form, ValidationError("plain"))
    add_errors(form, ValidationError({"email": ["bad"], "unknown": ["other"]}))
    assert form.non_field_errors() == ["plain", "other"] and form.errors["email"] == ["bad"]


# --- pages -----------------------------------------------------------------------------------------------

def test_partner_section_adds_refuses_and_removes(logged_in, application, partners):
    url = section_url(application, "organisations")
    assert logged_in.post(url, {"oid": partners[1].oid, "role": "partner"}).status_code == 302
    response = logged_in.post(url, {"oid": "E00000000", "role": "partner"})
    assert response.status_code == 200 and b"No organisation has the OID" in response.content
    participation = application.participations.get(organisation=partners[1])
    assert logged_in.post(url, {"remove": participation.pk}).status_code == 302
    applicant = application.participations.get()
    response = logged_in.post(url, {"remove": applicant.pk}, follow=True)
    assert b"cannot be removed" in response.content and application.participations.count() == 1


def test_annex_section_uploads_refuses_and_removes(logged_in, application):
    url = section_url(application, "annexes")
    bad = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    response = logged_in.post(url, {"kind": AnnexKind.DECLARATION, "file": bad})
    assert response.status_code == 200 and b"not a PDF, PNG or JPEG" in response.content
    response = logged_in.post(url, {"kind": AnnexKind.MANDATE, "file": pdf_file()})
    assert response.status_code == 200 and application.annexes.count() == 0
    assert logged_in.post(url, {"kind": AnnexKind.DECLARATION, "file": pdf_file()}).status_code == 302
    annex = application.annexes.get()
    assert logged_in.get(reverse("applications:annex", args=[application.pk, annex.pk])).status_code == 200
    assert logged_in.post(url, {"remove": annex.pk}).status_code == 302
    assert application.annexes.count() == 0


def test_section_page_refuses_unknown_keys_viewers_and_late_changes(client, logged_in, application, coordinator,
                                                                    partners, partner_user, clock):
    assert logged_in.get(section_url(application, "nonsense")).status_code == 404
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    sharing.share(application, partner_user, "view", coordinator)
    client.force_login(partner_user)
    page = client.get(section_url(application, "impact"))
    assert page.status_code == 200 and b"You can view this application but not change it." in page.content
    assert client.post(section_url(application, "impact"), {"impact": "x", "base_version": 0}).status_code == 404
    logged_in.force_login(coordinator)
    clock(application.call.deadline + timedelta(seconds=1))
    response = logged_in.post(section_url(application, "impact"), {"impact": "x", "base_version": 0}, follow=True)
    assert b"The deadline has passed" in response.content
    assert b"within 2 hours of the deadline" in response.content
    assert Section.objects.get(application=application, key="impact").version == 0


def test_merge_and_keep_mine_after_a_conflict(logged_in, application, coordinator):
    url = section_url(application, "impact")
    save(application, "impact", {"impact": "theirs", "dissemination": "", "sustainability": ""}, coordinator)
    yours = {"impact": "mine", "dissemination": "Open", "sustainability": "Kept"}
    merge = logged_in.post(url, {"action": "merge", "yours_json": "{broken"})
    assert merge.status_code in (302, 200)
    merge = logged_in.post(url, {"action": "merge", "yours_json": '{"impact": "mine"}'})
    assert merge.status_code == 200 and b"Merge the two versions" in merge.content
    version = Section.objects.get(application=application, key="impact").version
    import json

    kept = logged_in.post(url, {"action": "keep-mine", "yours_json": json.dumps(yours), "base_version": version})
    assert kept.status_code == 302
    assert Section.objects.get(application=application, key="impact").data == yours
    refused = logged_in.post(url, {"impact": "x"}, follow=True)
    assert b"version of the section is missing" in refused.content


def test_share_page_shares_refuses_and_removes(client, logged_in, application, coordinator, partners, partner_user):
    from eplus.applications.models import ShareInvitation

    url = reverse("applications:share", args=[application.pk])
    partnering.add_participant(application, partners[0].oid, "partner", coordinator)
    assert logged_in.post(url, {"email": partner_user.email, "level": "edit"}).status_code == 302
    client.force_login(partner_user)
    invitation = ShareInvitation.objects.get(email=partner_user.email)
    assert client.post(reverse("applications:invitation", args=[invitation.token])).status_code == 302
    access = ApplicationAccess.objects.get()
    client.force_login(partner_user)
    page = client.get(url)
    assert page.status_code == 200 and b"Remove access" not in page.content
    assert client.post(url, {"remove": access.pk}).status_code == 404
    logged_in.force_login(coordinator)
    assert b"Remove access" in logged_in.get(url).content
    assert logged_in.post(url, {"remove": access.pk}).status_code == 302
    assert not ApplicationAccess.objects.exists()


def test_withdrawing_a_draft_is_refused_with_a_message_and_a_missing_pdf_is_a_404(
        logged_in, application, coordinator, partners):
    from tests.organisations.conftest import mark_reauthenticated

    mark_reauthenticated(logged_in, coordinator)
    response = logged_in.post(reverse("applications:withdraw", args=[application.pk]), {"reason": "r"}, follow=True)
    assert b"Only a submitted application can be withdrawn." in response.content
    make_ready(application, coordinator, partners)
    submission = submitting.submit(application, coordinator)
    pdf = reverse("applications:submission_pdf", args=[application.pk, submission.pk])
    assert logged_in.get(pdf).status_code == 404  # not rendered yet (the task runs after the commit)


def test_the_declared_permissions_keep_their_meaning(application, coordinator, partners, partner_user, clock):
    import rules

    member = make_user()
    application.applicant.memberships.create(user=member, role="member")
    assert rules.has_perm("applications.submit_application", coordinator, application)
    assert rules.has_perm("applications.change_application", member, application)
    assert not rules.has_perm("applications.submit_application", member, application)
    assert not rules.has_perm("applications.view_application", partner_user, application)
    assert rules.has_perm("applications.edit_section", member, application)
    clock(application.call.deadline)
    fresh = type(application).objects.select_related("call").get(pk=application.pk)
    assert rules.has_perm("applications.change_application", member, fresh)
    assert not rules.has_perm("applications.edit_section", member, fresh)
    assert not rules.has_perm("applications.view_incident", member, None)
