"""The header in Chromium: one line at 1280 px for every role, in English and Latvian; below 48em a menu
button folds the navigation (and without JavaScript the navigation stays open); the home pages pass axe."""

import pytest

from eplus.organisations.models import Membership, Role
from eplus.programme.models import AgencyMembership
from tests.conftest import axe_violations
from tests.factories import make_officer, make_organisation, make_user, with_mfa

pytestmark = pytest.mark.e2e

ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


@pytest.fixture
def people(lv01):
    applicant = make_user(first_name="Ilze")
    make_organisation("LV", member=applicant, certified=True)
    officer = make_officer(lv01)
    both = make_officer(lv01)
    Membership.objects.create(organisation=make_organisation("LV"), user=both, role=Role.CONTACT_PERSON)
    expert = with_mfa(make_user())
    AgencyMembership.objects.create(user=expert, agency=lv01, role="expert")
    admin = make_officer(lv01)
    AgencyMembership.objects.filter(user=admin).update(role="admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return {"applicant": applicant, "officer": officer, "officer and applicant": both, "expert": expert,
            "administrator": admin}


@pytest.fixture
def open_home(live_server, browser, client):
    contexts = []

    def open_as(user, *, width=1280, language="en", javascript=True):
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
        contexts.append(context)
        cookies = [{"name": "django_language", "value": language, "url": live_server.url}]
        if user is not None:
            client.force_login(user)
            cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url})
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(f"{live_server.url}/dashboard/" if user is not None else f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


ONE_LINE = """() => {
  const row = document.querySelector('.header-row');
  const parts = [...row.querySelectorAll('.brand, .nav > li, .header-tools > *')];
  const tops = parts.map(el => el.getBoundingClientRect()).filter(r => r.height > 0).map(r => r.top + r.height / 2);
  return {spread: Math.max(...tops) - Math.min(...tops), items: parts.length,
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}"""


@pytest.mark.parametrize("language", ["en", "lv"])
def test_the_header_is_one_line_at_1280_px_for_every_role(people, open_home, language):
    for role, user in [("anonymous", None), *people.items()]:
        page = open_home(user, language=language)
        measured = page.evaluate(ONE_LINE)
        assert measured["spread"] < 8 and measured["overflow"] <= 0, (role, language, measured)
        assert not page.locator("[data-nav-toggle]").is_visible()


def test_a_menu_button_folds_the_navigation_on_small_screens(people, open_home):
    page = open_home(people["officer and applicant"], width=600)
    button = page.get_by_role("button", name="Menu")
    menu, agency = page.locator("#site-menu"), page.locator("#agency-menu")
    assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible() and not agency.is_visible()
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and menu.is_visible() and agency.is_visible()
    assert page.get_by_role("link", name="My applications").is_visible()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false" and not menu.is_visible()
    button.click()
    button.click()
    assert not menu.is_visible()


def test_without_javascript_the_navigation_stays_open(people, open_home):
    page = open_home(people["applicant"], width=600, javascript=False)
    assert not page.locator("[data-nav-toggle]").is_visible()
    assert page.get_by_role("link", name="My applications").is_visible()


@pytest.mark.parametrize("width", [1280, 600])
def test_the_home_pages_pass_axe(people, open_home, width):
    for role, user in [("anonymous", None), *people.items()]:
        page = open_home(user, width=width)
        if width < 1280 and page.locator("[data-nav-toggle]").is_visible():
            page.locator("[data-nav-toggle]").click()
        assert axe_violations(page, impacts=ALL_IMPACTS) == [], (role, width)
