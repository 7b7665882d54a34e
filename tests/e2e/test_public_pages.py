import pytest


@pytest.mark.django_db(transaction=True)
def test_home_page_renders_in_chromium_and_is_accessible(page, assert_accessible):
    page.goto("/")
    assert page.locator("h1").inner_text()
    assert page.locator("a.skip-link").count() == 1
    assert_accessible(page, "home")


@pytest.mark.django_db(transaction=True)
def test_language_switcher_changes_the_interface(page):
    page.goto("/")
    page.select_option("#language-select", "lv")
    page.locator(".lang-form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "lv"


@pytest.mark.django_db(transaction=True)
def test_deadlines_show_brussels_and_the_readers_local_time_without_console_errors(new_page, programme):
    page = new_page(timezone_id="Europe/Riga")
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto("/programme/calls/")
    first = page.locator(".local-time").first
    first.wait_for(state="visible")
    # 4 March 2027 12:00 Brussels is 13:00 in Riga (EET).
    assert "13:00" in first.inner_text() and "Your time:" in first.inner_text()
    assert problems == []
