"""Figures the data marks "verify" (issue 13, item 10): listed for agency administrators, who confirm or
correct each (audited with who and when); a correction changes the figure the platform uses."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from eplus.core.audit import history
from eplus.core.models import AuditEvent
from eplus.programme import verification
from eplus.programme.models import Agency, AgencyMembership, Call, FigureCheck
from eplus.programme.services import eligibility_rules
from tests.factories import make_officer, make_user, with_mfa

KEY = "late_submission_after_incident_hours"


@pytest.fixture
def agency_admin(programme):
    user = make_user(first_name="Ada", last_name="Administrator")
    AgencyMembership.objects.create(user=user, agency=Agency.objects.get(code="LV01"), role="admin")
    return with_mfa(user)


@pytest.fixture
def ka210(programme):
    return Call.objects.get(year=2026, action__code="KA210", round=1)


@pytest.fixture
def academies(programme):
    """The 2022 Teacher Academies call: its duration is marked "verify"."""
    return Call.objects.get(year=2022, action__code="PEX-TEACH-ACA")


def test_every_figure_marked_verify_is_listed(programme):
    rows = verification.figures_to_verify()
    marked = {(call.pk, key) for call in Call.objects.all() for key, note in call.sources.items()
              if isinstance(note, str) and "verify" in note.lower()}
    assert marked and {(row.call.pk, row.key) for row in rows} == marked
    row = next(r for r in rows if r.key == KEY)
    assert row.value == row.call.other_rules[KEY] and not row.confirmed
    duration = next(r for r in rows if r.key == "duration")
    assert set(duration.value) == {"duration_min_months", "duration_max_months"}


def test_confirmation_is_recorded_with_who_and_when(ka210, agency_admin):
    check = verification.confirm_figure(ka210, KEY, agency_admin, "Programme Guide 2026, Part C")
    assert check.outcome == "confirmed" and check.decided_by == agency_admin and check.decided_at is not None
    event = history(check).get()
    assert event.verb == "confirm-figure" and event.actor == agency_admin
    row = verification.figure_for(ka210, KEY)
    assert row.confirmed and row.last_check == check


def test_correction_changes_the_figure_used(ka210, agency_admin):
    before = ka210.other_rules[KEY]
    verification.correct_figure(ka210, KEY, 48, agency_admin, "Agency decision of 1 December 2026")
    ka210.refresh_from_db()
    assert ka210.other_rules[KEY] == 48
    check = FigureCheck.objects.get(call=ka210, figure=KEY)
    assert (check.outcome, check.previous_value, check.value) == ("corrected", before, 48)
    event = history(ka210).filter(verb="correct-figure").get()
    assert event.actor == agency_admin and event.changes["other_rules"][1][KEY] == 48


def test_correction_is_checked_like_any_call(ka210, academies, agency_admin):
    with pytest.raises(ValidationError) as info:
        verification.correct_figure(academies, "duration", {"duration_min_months": 40, "duration_max_months": 6},
                                    agency_admin, "typo test")
    assert "value" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        verification.correct_figure(ka210, KEY, 12, agency_admin, "")
    assert "reason" in info.value.message_dict
    academies.refresh_from_db()
    assert academies.duration_min_months == 36 and not FigureCheck.objects.exists()


def test_the_pages_for_agency_administrators(client, ka210, academies, agency_admin):
    client.force_login(agency_admin)
    page = client.get(reverse("programme:figures"))
    assert page.status_code == 200 and KEY in page.content.decode()
    url = reverse("programme:figure", args=[ka210.pk, KEY])
    page = client.get(url).content.decode()
    assert "<fieldset" in page and "<legend>" in page
    response = client.post(url, {"outcome": "correct", "value": "not json", "reason": "x"})
    content = response.content.decode()
    assert response.status_code == 200 and "error-summary" in content and "not json" in content
    response = client.post(url, {"outcome": "correct", "value": "36", "reason": "Programme Guide 2027, Part C"})
    assert response.status_code == 302
    ka210.refresh_from_db()
    assert ka210.other_rules[KEY] == 36
    response = client.post(reverse("programme:figure", args=[academies.pk, "duration"]), {"outcome": "confirm"})
    assert response.status_code == 302
    assert FigureCheck.objects.filter(figure="duration", outcome="confirmed", decided_by=agency_admin).exists()
    assert AuditEvent.objects.filter(verb="confirm-figure", actor=agency_admin).exists()


def test_officers_and_others_cannot_open_the_pages(client, ka210):
    for user in (make_officer("LV01"), make_user()):
        client.force_login(user)
        assert client.get(reverse("programme:figures")).status_code == 404
        response = client.post(reverse("programme:figure", args=[ka210.pk, KEY]), {"outcome": "confirm"})
        assert response.status_code == 404
    assert not FigureCheck.objects.exists()


def test_unknown_figure_is_404(client, ka210, agency_admin):
    client.force_login(agency_admin)
    assert client.get(reverse("programme:figure", args=[ka210.pk, "title_en"])).status_code == 404


def test_corrected_figure_reaches_the_rules(academies, agency_admin):
    verification.correct_figure(academies, "duration", {"duration_min_months": 24, "duration_max_months": 36},
                                agency_admin, "test")
    assert eligibility_rules(Call.objects.get(pk=academies.pk))["duration_min_months"] == 24
    academies.refresh_from_db()
    assert json.loads(verification.figure_for(academies, "duration").value_text)["duration_min_months"] == 24
