"""The results platform names countries in the reader's language (issue 13): the partner search (its rows and
its country choices), an organisation's page and the search facets; the filter values stay ISO codes."""

import pytest
from django.urls import reverse
from django.utils import translation

from eplus.results import search

from .conftest import finalised_card_with_secrets

LV = {"HTTP_ACCEPT_LANGUAGE": "lv"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}



@pytest.fixture
def public_card(card, coordinator_user, officer, lv, lt):
    lv.name_lv, lt.name_lv = "Latvija", "Lietuva"
    lv.save()
    lt.save()
    return finalised_card_with_secrets(card, coordinator_user, officer)[0]


def test_partner_search_and_organisation_page_name_the_country_in_the_readers_language(client, public_card):
    url = reverse("results:partners")
    english = client.get(url, {"country": "LT"}, **EN).content.decode()
    latvian = client.get(url, {"country": "LT"}, **LV).content.decode()
    assert "<td>Lithuania</td>" in english and "Lietuva" not in english
    assert "<td>Lietuva</td>" in latvian and "<td>Lithuania</td>" not in latvian
    assert '<option value="LT" selected>Lietuva</option>' in latvian  # the choice keeps its code
    partner = public_card.organisations.get(role="partner")
    url = reverse("results:organisation", args=[partner.pk])
    assert "<dd>Lithuania</dd>" in client.get(url, **EN).content.decode()
    assert "<dd>Lietuva</dd>" in client.get(url, **LV).content.decode()


def test_search_facets_name_the_country_in_the_readers_language(client, public_card):
    with translation.override("en"):
        assert {v.value: v.label for v in search.search("", {})[1]["country"]} == {"LV": "Latvia", "LT": "Lithuania"}
    with translation.override("lv"):
        assert {v.value: v.label for v in search.search("", {})[1]["country"]} == {"LV": "Latvija", "LT": "Lietuva"}
    assert "Lietuva" in client.get(reverse("results:search"), **LV).content.decode()
    assert "Lietuva" not in client.get(reverse("results:search"), **EN).content.decode()
