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
