"""Whole public pages are cached for visitors who are not signed in (results.views._pages.whole_page_cached):
the second visitor gets the stored page with a form token of their own, a change of public data shows at
once, and signed-in users or visitors with messages waiting never get the stored page."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.shortcuts import render
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from eplus.results.models import ProjectCard
from eplus.results.page_cache import bump_public_cache
from eplus.results.views import _pages
from eplus.results.views._pages import render_public


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _get(client, card):
    response = client.get(reverse("results:project", args=[card.identifier]))
    assert response.status_code == 200
    return response


def _page(client, card):
    return _get(client, card).content.decode()


def test_a_stored_page_is_served_with_each_visitors_own_working_form_token(card, coordinator_user):
    cache.clear()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    built = _get(first, card)
    assert "results/_project_body.html" in [t.name for t in built.templates]
    page_one = built.content.decode()
    # Changed behind the services' back (no cache bump): the stored page is what the next visitor gets,
    # without a template rendered.
    ProjectCard.objects.filter(pk=card.pk).update(title="Renamed without a publish event")
    stored = _get(second, card)
    assert stored.templates == []
    page_two = stored.content.decode()
    assert "Renamed without a publish event" not in page_two and card.title in page_two
    token_one, token_two = TOKEN.search(page_one).group(1), TOKEN.search(page_two).group(1)
    assert token_one != token_two and "{eplus-csrf-token}" not in page_two
    # The token put back into the stored page works with that visitor's cookie: the language switch.
    answer = second.post(reverse("set_language"), {"language": "lv", "next": "/",
                                                    "csrfmiddlewaretoken": token_two})
    assert answer.status_code == 302
    # A change of public data (a publish event) shows at once.
    bump_public_cache()
    assert "Renamed without a publish event" in _page(Client(), card)


def test_signed_in_users_and_visitors_with_messages_get_their_own_page(card, coordinator_user):
    cache.clear()
    _page(Client(), card)  # stored for visitors
    ProjectCard.objects.filter(pk=card.pk).update(title="Renamed without a publish event")
    signed_in = Client()
    signed_in.force_login(coordinator_user)
    response = _get(signed_in, card)
    page = response.content.decode()
    assert response.templates and "Log out" in page and "Edit the project card and results" in page
    with_message = Client()
    with_message.cookies["messages"] = "anything"
    assert "Log out" not in _page(with_message, card)
    assert "Renamed without a publish event" not in _page(Client(), card), "visitors still get the stored page"


def test_a_missing_page_is_not_stored(card):
    cache.clear()
    published_at = card.published_at
    ProjectCard.objects.filter(pk=card.pk).update(published_at=None)  # no publish event: no cache bump
    assert Client().get(reverse("results:project", args=[card.identifier])).status_code == 404
    ProjectCard.objects.filter(pk=card.pk).update(published_at=published_at)
    assert card.title in _page(Client(), card)


@pytest.mark.parametrize("language", ["en", "lv"])
@pytest.mark.parametrize("template_name", ["results/public_page.html", "results/project.html"])
def test_a_visitors_page_from_the_stored_layout_is_the_page_the_template_renders(rf, template_name, language):
    _pages._layouts.clear()
    title, body = 'Rīga <b>&</b> "quotes"', mark_safe("<section><h1>Body &amp; more</h1></section>")
    with translation.override(language):
        pages = []
        for path in ("/results/p/A/", '/results/?q="<script>"&topic=a+b'):
            request = rf.get(path)
            request.user, request._eplus_whole_page = AnonymousUser(), True
            rendered = render(request, template_name, {"title": title, "body": body}).content.decode()
            from_layout = render_public(request, template_name, {"title": title, "body": body}).content.decode()
            assert len(TOKEN.search(from_layout).group(1)) == 64  # a form token of this visitor's (masked anew)
            assert TOKEN.sub("TOKEN", from_layout) == TOKEN.sub("TOKEN", rendered)
            pages.append(from_layout)
    assert len(_pages._layouts) == 1, "rendered once, then filled in"
    assert "&lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot;" in pages[0] and "Body &amp; more" in pages[0]
    assert 'value="/results/?q=%22%3Cscript%3E%22&amp;topic=a+b"' in pages[1]
    assert f'<html lang="{language}">' in pages[1]


def test_signed_in_users_and_pages_with_more_than_a_title_and_body_are_rendered_in_full(rf, coordinator_user):
    _pages._layouts.clear()
    request = rf.get("/results/p/A/")
    request.user, request._eplus_whole_page = coordinator_user, False
    assert "Log out" in render_public(request, "results/public_page.html", {"title": "T", "body": "B"}).content.decode()
    request.user, request._eplus_whole_page = AnonymousUser(), True
    render_public(request, "results/public_page.html", {"title": "T", "body": "B", "form": None})
    assert _pages._layouts == {}
