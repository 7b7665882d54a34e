"""Browser journeys: Playwright (Python) driving Debian's Chromium against pytest-django's live server,
with a real SMTP server (aiosmtpd) receiving the e-mails the platform sends. (The public pages' journey
runs on the production topology already: tests/topology/test_public_pages_journey.py; these follow.)"""

import email
import email.policy
import re
import threading

import pytest



def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


def totp_now(secret):
    """The authenticator code for ``secret`` at this moment, as an authenticator app shows it."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


class Mailbox:
    """Messages received by the test SMTP server, parsed."""

    def __init__(self):
        self.messages = []
        self._arrived = threading.Condition()

    def add(self, raw):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def wait_for(self, to, count=1, timeout=10):
        def matching():
            return [m for m in self.messages if to.lower() in str(m["To"]).lower()]

        with self._arrived:
            self._arrived.wait_for(lambda: len(matching()) >= count, timeout=timeout)
        found = matching()
        assert len(found) >= count, f"expected {count} e-mail(s) to {to}, got {len(found)}"
        return found[count - 1]

    @staticmethod
    def body(message):
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content()

    def links(self, message):
        return re.findall(r"https?://[^\s\"'<>]+", self.body(message))


@pytest.fixture
def smtp_server(settings):
    from tests.topology.conftest import ControlledSMTP

    server = ControlledSMTP()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield server.mailbox
    finally:
        server.stop()


@pytest.fixture
def new_page(browser, live_server):
    """A factory of pages, each in its own browser context (its own cookies = its own person)."""
    contexts = []

    def make(locale="en-GB", timezone_id="Europe/Riga"):
        # bypass_csp lets the test inject axe-core; the pages themselves keep their CSP.
        context = browser.new_context(
            base_url=live_server.url, locale=locale, timezone_id=timezone_id, bypass_csp=True
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
