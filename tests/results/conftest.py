"""Fixtures for the results platform: an agency, a coordinator organisation with its managers, and
project cards made the way the projects app and the import command make them."""

from datetime import date
from decimal import Decimal

import pytest

from eplus.organisations.models import Role
from eplus.results import workflow
from eplus.results.editing import add_result_file, save_contact, save_result
from eplus.results.publishing import mark_final_report_submitted, mark_project_finalised, publish_project_card
from tests.factories import make_officer, make_organisation, make_user, with_mfa
from tests.samples import PDF

_n = {"i": 0}


@pytest.fixture
def coordinator_user(db):
    return make_user("coordinator@school.example")


@pytest.fixture
def coordinator(lv, coordinator_user):
    return make_organisation(lv, legal_name="Daugava Vocational School", member=coordinator_user,
                             role=Role.CONTACT_PERSON, website="https://daugava-school.example", region="Riga region")


@pytest.fixture
def partner_org(lt):
    return make_organisation(lt, legal_name="Neris Training Centre", city="Vilnius", postcode="LT-01100")


@pytest.fixture
def officer(lv01):
    return make_officer(lv01)


@pytest.fixture
def other_officer(lt01):
    return make_officer(lt01)


@pytest.fixture
def commission_user(db):
    return with_mfa(make_user("commission@commission.example", is_commission=True))  # the Commission must use MFA


def card_data(agency, coordinator=None, partners=(), **extra):
    _n["i"] += 1
    data = {
        "identifier": f"2024-1-LV01-KA220-VET-{_n['i']:09d}",
        "title": f"Green welding skills {_n['i']}",
        "summary_en": "Vocational schools develop a course on sustainable welding.",
        "action_type": "KA220-VET",
        "key_action": "KA2",
        "call_year": 2024,
        "start_date": date(2024, 9, 1),
        "end_date": date(2026, 8, 31),
        "eu_grant": Decimal("250000.00"),
        "topics": ["Green skills", "Digital transformation"],
        "agency": agency,
        "coordinator": coordinator or {"name": "Historic Coordinator", "type": "school", "country": "LV",
                                       "address": "Skolas iela 1, Riga", "region": "Riga", "website": ""},
        "partners": list(partners),
    }
    data.update(extra)
    return data


@pytest.fixture
def card(lv01, coordinator, partner_org):
    return publish_project_card(card_data(lv01, coordinator, [partner_org]))


def add_result(card, user, title="Welding handbook", public_flag=True, result_type="handbook", link=""):
    result = save_result(card, user, title=title, result_type=result_type,
                                  description_en=f"{title}: a description in English.", link=link,
                                  public_flag=public_flag)
    return result


def add_pdf(result, user, name="handbook.pdf", body=PDF):
    import io

    return add_result_file(result, io.BytesIO(body), name, user)


def finalised_card_with_secrets(card, user, officer, now=None):
    """A finalised, approved card with one public result, one hidden result, one unpublished contact."""
    public = add_result(card, user, "Open welding handbook")
    add_pdf(public, user)
    hidden = add_result(card, user, "Secretdraft zebracurriculum", public_flag=False, result_type="photo")
    add_pdf(hidden, user, name="secret-notes.pdf")
    save_contact(card, user, name="Hiddenperson Quokkaname", email="quokka.hidden@school.example",
                          phone="+371 20 000 999", published=False)
    mark_final_report_submitted(card)
    card.refresh_from_db()
    workflow.submit_for_review(card, user)
    workflow.approve(card, officer)
    mark_project_finalised(card)
    card.refresh_from_db()
    return card, public, hidden

