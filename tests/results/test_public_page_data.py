"""The project page's one-query loader (public.public_card_page) gives exactly the public projection's
data (public.public_card_dict with details) for every kind of card: with and without results, files,
hidden results, unapproved results, published and unpublished contacts, unpublished cards."""

import pytest

from eplus.results import public, publishing, workflow
from eplus.results.editing import save_contact

from .conftest import add_pdf, add_result, card_data


def _orm(identifier):
    card = public.public_cards(with_details=True).filter(identifier=identifier).first()
    return public.public_card_dict(card, detail=True) if card is not None else None


def _finalised_with_results(card, user, officer):
    add_pdf(add_result(card, user, title="Welding handbook"), user)
    add_result(card, user, title="Hidden notes", public_flag=False, link="https://notes.example/")
    add_result(card, user, title="Course outline", link="https://course.example/")
    publishing.mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, user)
    workflow.approve(card, officer)
    publishing.mark_project_finalised(card)


@pytest.mark.postgres
def test_the_page_loader_gives_the_public_projection_of_every_kind_of_card(lv01, coordinator, partner_org,
                                                                         coordinator_user, officer):
    plain = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title="Plain card"))
    unapproved = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title="Unapproved"))
    add_result(unapproved, coordinator_user, title="Not yet approved")
    save_contact(unapproved, coordinator_user, name="Ilze Example", email="ilze@school.example", published=True)
    save_contact(unapproved, coordinator_user, name="Anna Hidden", email="anna@school.example", published=False)
    full = publishing.publish_project_card(card_data(lv01, coordinator, [partner_org], title="Finalised"))
    _finalised_with_results(full, coordinator_user, officer)
    external = publishing.publish_project_card(card_data(lv01, {"name": "Solo school", "country": "EE"},
                                                         title="No OID"))

    for card in (plain, unapproved, full, external):
        fast = public.public_card_page(card.identifier)
        assert fast == _orm(card.identifier), card.title
    finalised = public.public_card_page(full.identifier)
    assert [r["title"] for r in finalised["results"]] == ["Welding handbook", "Course outline"]
    assert finalised["results"][0]["files"][0]["name"] == "handbook.pdf"
    assert public.public_card_page(unapproved.identifier)["results"] == []
    assert [c["name"] for c in public.public_card_page(unapproved.identifier)["contacts"]] == ["Ilze Example"]
    assert public.public_card_page(external.identifier)["coordinator"]["page_key"].isdigit()

    unapproved.published_at = None
    unapproved.save(update_fields=["published_at"])
    assert public.public_card_page(unapproved.identifier) is None
    assert public.public_card_page("no-such-card") is None
