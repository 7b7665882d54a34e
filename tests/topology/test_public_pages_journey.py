"""Public pages in Chromium on the production topology (./run serve, 2 workers, production settings and
CSP, static files from whitenoise): the home page, the language switch, the deadlines' local time."""

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.e2e]


def test_home_page_renders_in_chromium_and_is_accessible(topology_page, assert_accessible):
    page = topology_page()
    page.goto("/")
    assert page.locator("h1").inner_text()
    assert page.locator("a.skip-link").count() == 1
    assert_accessible(page, "home")


def test_language_switcher_changes_the_interface(topology_page):
    page = topology_page()
    page.goto("/")
    page.select_option("#language-select", "lv")
    page.locator(".lang-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "lv"


def test_deadlines_show_brussels_and_the_readers_local_time_without_console_errors(topology_page, programme):
    page = topology_page(timezone_id="Europe/Riga")
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto("/programme/calls/")
    first = page.locator(".local-time").first
    first.wait_for(state="visible")
    # 4 March 2027 12:00 Brussels is 13:00 in Riga (EET).
    assert "13:00" in first.inner_text() and "Your time:" in first.inner_text()
    assert problems == []
