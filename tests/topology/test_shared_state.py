"""What several web workers must share, tried on the real topology (issue 11): the lockout after wrong
passwords, the public page cache, and the API documentation under the production CSP."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import PASSWORD, verified_user

pytestmark = [pytest.mark.postgres, pytest.mark.topology]


def _spread(client_factory, requests):
    """Send ``requests`` (callables taking a client) two at a time, so both workers answer some."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda send: send(client_factory()), requests))


def test_six_wrong_passwords_over_both_workers_lock_the_account(live):
    verified_user("locked@school.example")
    start = live.log_length()
    wrong = [lambda c, n=n: c.log_in("locked@school.example", f"wrong-password-{n}") for n in range(6)]
    answers = _spread(live.client, wrong)
    assert all(status == 200 for status, _, _ in answers)  # the form again, with its error
    assert len(live.web_pids_serving("POST /accounts/login/", since=start)) == 2, "both workers took attempts"

    client = live.client()
    status, headers, body = client.log_in("locked@school.example", PASSWORD)
    assert status == 200 and "sessionid" not in client.cookies, "the right password must not log in now"
    assert "Too many failed login attempts" in body or "too many" in body.lower()


def test_the_right_password_still_logs_in_after_a_few_mistakes(live):
    """The lockout is about six mistakes, not one: proves the test above can fail for the right reason."""
    verified_user("careful@school.example")
    live.client().log_in("careful@school.example", "one-wrong-password")
    client = live.client()
    status, headers, _ = client.log_in("careful@school.example", PASSWORD)
    assert status == 302 and "sessionid" in client.cookies


def test_an_unpublished_contact_disappears_from_every_workers_page_at_once(live, lv, lv01):
    from eplus.organisations.models import Role
    from eplus.results.editing import save_contact
    from eplus.results.publishing import publish_project_card
    from tests.factories import make_organisation
    from tests.results.conftest import card_data

    coordinator_user = verified_user("coordinator@school.example")
    coordinator = make_organisation(lv, legal_name="Daugava Vocational School", member=coordinator_user,
                                    role=Role.CONTACT_PERSON)
    card = publish_project_card(card_data(lv01, coordinator))
    contact = save_contact(card, coordinator_user, name="Anna Fictional", email="anna@school.example", published=True)
    page = f"/results/p/{card.identifier}/"

    start = live.log_length()
    before = _spread(live.client, [lambda c: c.get(page)] * 8)
    assert all("anna@school.example" in body for _, _, body in before)
    assert len(live.web_pids_serving(f"GET {page}", since=start)) == 2, "both workers cached the page"

    editor = live.client()
    assert editor.log_in("coordinator@school.example", PASSWORD)[0] == 302
    status, _, _ = editor.post(f"/results/p/{card.identifier}/edit/contacts/{contact.pk}/",
                               {"name": "Anna Fictional", "email": "anna@school.example"})
    assert status == 302

    start = live.log_length()
    after = _spread(live.client, [lambda c: c.get(page)] * 8)
    assert all(status == 200 and "anna@school.example" not in body for status, _, body in after)
    assert len(live.web_pids_serving(f"GET {page}", since=start)) == 2


def test_api_docs_show_the_operations_under_the_production_csp(live, browser):
    context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})
    try:
        page = context.new_page()
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(live.url + "/api/v1/docs")
        csp = page.evaluate("() => fetch(location.href).then(r => r.headers.get('content-security-policy'))")
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        page.get_by_text("/api/v1/public/projects", exact=False).first.wait_for(timeout=15_000)
        assert page.locator(".opblock-summary-path").count() >= 5
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()
