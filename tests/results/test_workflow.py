from datetime import date, datetime, timezone as dt_timezone

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from eplus.core.audit import history
from eplus.results import editing, public, publishing, workflow
from eplus.results.models import ResultsStatus, ReviewEvent
from tests.factories import make_user

from .conftest import add_pdf, add_result

AFTER_END = datetime(2026, 9, 1, 10, tzinfo=dt_timezone.utc)
BEFORE_END = datetime(2026, 8, 30, 10, tzinfo=dt_timezone.utc)


def _ready(card, user):
    result = add_result(card, user)
    add_pdf(result, user)
    return result


def test_submission_only_after_the_end_date(card, coordinator_user):
    _ready(card, coordinator_user)
    with pytest.raises(workflow.TransitionError, match="only after the project's end date"):
        workflow.submit_for_review(card, coordinator_user, now=BEFORE_END)
    card = workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    assert card.results_status == ResultsStatus.UNDER_REVIEW
    assert history(card).filter(verb="submit-results").exists()


def test_end_date_itself_opens_submission(card, coordinator_user):
    _ready(card, coordinator_user)
    on_end = datetime(2026, 8, 31, 8, tzinfo=dt_timezone.utc)
    assert workflow.submit_for_review(card, coordinator_user, now=on_end).results_status == ResultsStatus.UNDER_REVIEW


def test_final_report_opens_submission_before_the_end(card, coordinator_user):
    _ready(card, coordinator_user)
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    assert card.results_status == ResultsStatus.AVAILABLE
    assert workflow.submit_for_review(card, coordinator_user, now=BEFORE_END).results_status == "under-review"


def test_submission_needs_results_with_a_file_or_link(card, coordinator_user):
    with pytest.raises(workflow.TransitionError, match="at least one result"):
        workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    add_result(card, coordinator_user, title="Lonely result")
    with pytest.raises(workflow.TransitionError, match="Lonely result"):
        workflow.submit_for_review(card, coordinator_user, now=AFTER_END)


def test_only_coordinator_managers_submit(card, coordinator_user, coordinator):
    from eplus.organisations.models import Membership

    _ready(card, coordinator_user)
    stranger = make_user()
    with pytest.raises(PermissionDenied):
        workflow.submit_for_review(card, stranger, now=AFTER_END)
    plain_member = make_user()
    Membership.objects.create(organisation=coordinator, user=plain_member, role="member")
    with pytest.raises(PermissionDenied):
        workflow.submit_for_review(card, plain_member, now=AFTER_END)


def test_locked_under_review_then_returned_then_approved(card, coordinator_user, officer):
    result = _ready(card, coordinator_user)
    card = workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    assert any("submitted" in m.subject for m in mail.outbox) and mail.outbox[-1].to == [officer.email]
    # Locked for the coordinator.
    for attempt in (
        lambda: editing.save_result(card, coordinator_user, result=result, title="x", result_type="video",
                                     description_en="y"),
        lambda: editing.set_website(card, "https://x.example", coordinator_user),
        lambda: editing.save_contact(card, coordinator_user, name="A"),
        lambda: add_pdf(result, coordinator_user),
    ):
        with pytest.raises(editing.Locked):
            attempt()
    with pytest.raises(workflow.TransitionError):
        workflow.submit_for_review(card, coordinator_user, now=AFTER_END)

    with pytest.raises(ValidationError):
        workflow.return_with_comments(card, officer, "  ")
    mail.outbox.clear()
    card = workflow.return_with_comments(card, officer, "Please describe the handbook in English.")
    assert card.results_status == ResultsStatus.RETURNED
    assert mail.outbox[0].to == [coordinator_user.email]
    assert "Please describe the handbook in English." in mail.outbox[0].body
    editing.save_result(card, coordinator_user, result=result, title="Handbook (EN)", result_type="handbook",
                         description_en="Now in English.")
    card = workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    card = workflow.approve(card, officer)
    assert card.results_status == ResultsStatus.APPROVED
    assert list(ReviewEvent.objects.filter(card=card).values_list("kind", flat=True)) == [
        "submitted", "returned", "submitted", "approved"]
    # Approved but not finalised: results still not public; once finalised, they are.
    assert public.public_results(card) == []
    publishing.mark_project_finalised(card)
    card.refresh_from_db()
    assert [r.title for r in public.public_results(card)] == ["Handbook (EN)"]
    result.refresh_from_db()
    assert result.published_at is not None
    with pytest.raises(editing.Locked):
        editing.save_result(card, coordinator_user, result=result, title="x", result_type="video", description_en="y")


def test_other_agency_cannot_review(card, coordinator_user, other_officer):
    _ready(card, coordinator_user)
    card = workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    with pytest.raises(PermissionDenied):
        workflow.approve(card, other_officer)
    with pytest.raises(PermissionDenied):
        workflow.return_with_comments(card, other_officer, "No")


def test_approve_only_under_review(card, officer):
    with pytest.raises(workflow.TransitionError):
        workflow.approve(card, officer)


def test_good_practice_by_agency_on_finalised_only(card, officer, other_officer, commission_user):
    with pytest.raises(workflow.TransitionError, match="finalised"):
        workflow.flag_good_practice(card, officer)
    publishing.mark_project_finalised(card)
    with pytest.raises(PermissionDenied):
        workflow.flag_good_practice(card, other_officer)
    with pytest.raises(PermissionDenied):
        workflow.flag_good_practice(card, commission_user)
    assert workflow.flag_good_practice(card, officer).good_practice is True
    assert workflow.flag_good_practice(card, officer, False).good_practice is False


def test_success_story_by_commission_only_on_finalised(card, officer, commission_user, coordinator_user):
    with pytest.raises(workflow.TransitionError, match="finalised"):
        workflow.flag_success_story(card, commission_user)
    publishing.set_project_status(card, "finalised")
    for user in (officer, coordinator_user):
        with pytest.raises(PermissionDenied):
            workflow.flag_success_story(card, user)
    card = workflow.flag_success_story(card, commission_user)
    assert card.success_story is True
    assert history(card).filter(verb="flag-success-story").exists()


def test_unknown_project_status_refused(card):
    with pytest.raises(ValidationError):
        publishing.set_project_status(card, "exploded")


def test_sweep_invites_once_on_the_end_date(card, coordinator_user):
    from eplus.results.sweep import sweep

    before = datetime(2026, 8, 30, 22, tzinfo=dt_timezone.utc)  # 31 Aug 00:00 Brussels is 30 Aug 22:00 UTC
    assert sweep(datetime(2026, 8, 30, 21, tzinfo=dt_timezone.utc))["results_invitations"] == 0
    assert mail.outbox == []
    assert sweep(before)["results_invitations"] == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [coordinator_user.email]
    assert card.identifier in mail.outbox[0].subject
    card.refresh_from_db()
    assert card.results_status == ResultsStatus.AVAILABLE and card.submission_invited_at is not None
    assert sweep(AFTER_END)["results_invitations"] == 0
    assert len(mail.outbox) == 1


def test_sweep_command_runs(card, capsys):
    from django.core.management import call_command
    from freezegun import freeze_time

    with freeze_time("2026-09-02 09:00:00"):
        call_command("sweep")
    assert "results_invitations: 1" in capsys.readouterr().out
    assert date(2026, 8, 31) == card.end_date


def test_submission_is_a_hashed_snapshot(card, coordinator_user, officer):
    import hashlib
    import json

    result = _ready(card, coordinator_user)
    assert workflow.results_entered(card) is False
    card = workflow.submit_for_review(card, coordinator_user, now=AFTER_END)
    assert workflow.results_entered(card) is True
    event = ReviewEvent.objects.get(card=card, kind="submitted")
    assert event.snapshot["results"][0]["title"] == result.title
    assert event.snapshot["results"][0]["files"][0]["sha256"] == result.files.get().sha256
    canonical = json.dumps(event.snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert event.snapshot_sha256 == hashlib.sha256(canonical).hexdigest()
    # Later edits (after a return) do not change what was submitted.
    workflow.return_with_comments(card, officer, "More please.")
    editing.save_result(card, coordinator_user, result=result, title="Changed", result_type="video",
                         description_en="Changed.")
    event.refresh_from_db()
    assert event.snapshot["results"][0]["title"] == "Welding handbook"
