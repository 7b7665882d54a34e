from decimal import Decimal

import pytest

from eplus.core.audit import history
from eplus.results import public, publishing
from eplus.results.models import CardOrganisation, ProjectCard

from .conftest import card_data


def test_publish_card_from_plain_data_copies_organisation_data(card, coordinator, partner_org):
    assert card.published_at is not None
    assert card.action == "KA220" and card.sector == "VET" and card.key_action == "KA2"
    assert card.eu_grant == Decimal("250000.00")
    assert card.coordinator == coordinator
    rows = list(card.organisations.order_by("order"))
    assert [r.role for r in rows] == ["coordinator", "partner"]
    assert rows[0].name == "Daugava Vocational School" and rows[0].oid == coordinator.oid
    assert rows[0].country == "LV" and rows[0].website == "https://daugava-school.example"
    assert "Brivibas iela 1" in rows[0].address and rows[0].region == "Riga region"
    assert rows[1].organisation == partner_org and rows[1].country == "LT"
    assert history(card).filter(verb="publish-card").exists()


def test_organisation_change_flows_into_the_card(card, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as after_commit:
        coordinator.legal_name = "Daugava Technical College"
        coordinator.save()
    # The cards are refreshed by a task after the commit, not inside the edit's request.
    assert card.organisations.get(role="coordinator").name == "Daugava Vocational School"
    for callback in after_commit:
        callback()
    row = card.organisations.get(role="coordinator")
    assert row.name == "Daugava Technical College"
    card.refresh_from_db()
    assert "Daugava Technical College" in card.search_document


def test_historical_card_without_organisation_rows(lv01):
    card = publishing.publish_project_card(card_data(lv01, partners=[{"name": "Old Partner", "country": "ee"}]))
    assert card.coordinator is None
    assert list(card.organisations.values_list("name", "country")) == [("Historic Coordinator", "LV"),
                                                                      ("Old Partner", "EE")]


def test_publishing_again_updates_by_identifier(lv01, coordinator):
    data = card_data(lv01, coordinator)
    publishing.publish_project_card(data)
    publishing.publish_project_card({**data, "title": "Renamed project"})
    assert ProjectCard.objects.filter(identifier=data["identifier"]).count() == 1
    card = ProjectCard.objects.get(identifier=data["identifier"])
    assert card.title == "Renamed project"
    assert CardOrganisation.objects.filter(card=card).count() == 1


def test_card_needs_identifier_and_title(lv01):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        publishing.publish_project_card({**card_data(lv01), "identifier": ""})
    with pytest.raises(ValidationError):
        publishing.publish_project_card({**card_data(lv01), "title": " "})


def test_public_card_dict_has_no_people(card):
    data = public.public_card_dict(card, detail=True)
    text = repr(data)
    assert "coordinator@school.example" not in text and "Ilze" not in text
    assert data["coordinator"]["name"] == "Daugava Vocational School"
    assert data["countries"] == ["LV", "LT"]
