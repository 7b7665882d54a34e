"""Control characters in the public search, the public API and public addresses: a clear 400, never a 500
(they reached PostgreSQL, which cannot store or compare NUL)."""

import json

import pytest
from django.urls import reverse


@pytest.mark.parametrize("query", ["%00", "abc%00def", "%1B", "%ED%A0%80"])
def test_the_public_api_search_refuses_control_characters_in_json(client, card, query):
    response = client.get(reverse("api:public_projects") + f"?q={query}")
    if query == "%ED%A0%80":  # not UTF-8: Django decodes it to the replacement character, which is text
        assert response.status_code == 200
        return
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    detail = json.loads(response.content)["detail"]
    assert "“q”" in detail and "U+00" in detail
    assert client.get(reverse("api:public_projects"), {"q": "welding"}).status_code == 200


def test_the_search_page_and_a_project_address_refuse_them_in_the_page(client, card):
    response = client.get(reverse("results:search") + "?q=weld%00ing")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your input could not be accepted" in page and "U+0000" in page and "“q”" in page
    assert client.get(f"/results/p/{card.identifier}%00/").status_code == 400
    assert client.get(reverse("results:search") + "?q%00=x").status_code == 400  # in a name too
    assert client.get(reverse("results:search"), {"q": "tab\tand\nline"}).status_code == 200
