import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM is only touched
# synchronously from that thread, so the async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The sweep checks no public link unless a test asks (tests/results/test_links.py, against a local server):
# the fixtures' links are fictional (*.example) and this machine may have no way out.
os.environ.setdefault("LINK_CHECK_PER_RUN", "0")
# whitenoise warns when the collected-static folder does not exist yet.
os.makedirs(os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "static"), exist_ok=True)


class CommittedOutbox(list):
    """``django.core.mail.outbox`` as the mail server sees it once the test's changes have committed.

    Every e-mail goes through the outbox (eplus.core.outbox): its send task is enqueued after the commit of
    the change. A test runs inside one transaction that never commits, so reading this list first runs the
    callbacks that the commit would run (as ``django_capture_on_commit_callbacks(execute=True)`` does), and
    the locmem mail backend appends the sent messages here.
    """

    _flushing = False

    def _commit_callbacks(self):
        if CommittedOutbox._flushing:
            return
        from django.db import connections

        CommittedOutbox._flushing = True
        try:
            for connection in connections.all(initialized_only=True):
                while connection.in_atomic_block and connection.run_on_commit:
                    callbacks, connection.run_on_commit = connection.run_on_commit, []
                    for _savepoints, callback, _robust in callbacks:
                        callback()
        finally:
            CommittedOutbox._flushing = False

    def __len__(self):
        self._commit_callbacks()
        return super().__len__()

    def __getitem__(self, index):
        self._commit_callbacks()
        return super().__getitem__(index)

    def __iter__(self):
        self._commit_callbacks()
        return super().__iter__()

    def __bool__(self):
        return len(self) > 0

    def __eq__(self, other):
        self._commit_callbacks()
        return list.__eq__(self, other)

    def clear(self):
        self._commit_callbacks()  # what was sent before the clear stays before it
        super().clear()

    __hash__ = None


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core import mail
    from django.core.cache import cache

    from eplus.applications import refdata

    mail.outbox = CommittedOutbox()
    cache.clear()
    # The per-process memo of reference data is keyed by the data version in the database. The session's
    # reference data keeps one version for every test, so a test that changed rows without a new version
    # (QuerySet.update) must not hand its memo to the next test: each test starts with a cold memo.
    refdata.forget()
    yield


# --- programme reference data: loaded once per session ------------------------------------------------
#
# `programme` gives a test the real reference data (programme/data/*.json) as `./run manage load_programme`
# loads it. Loading it takes about a second, so it is loaded once, committed, when the first test asks for
# it, and every later test sees it through its own (rolled-back) transaction. Tests that do not ask for it
# still get an empty programme (they create their own countries and agencies, or test the loader), because
# the tests are ordered (see pytest_collection_modifyitems below):
#   1. database tests without `programme`  — nothing loaded yet;
#   2. database tests with `programme`     — the session's data, loaded once;
#   3. transactional tests with `programme`, then without — each one FLUSHES the database when it ends, so
#      `programme` re-loads what a flush removed, and a transactional test that did not ask for the data
#      flushes it first;
#   4. tests without the database.

def _database_use(item):
    """How pytest-django gives the test the database: None, "db" or "transactional"."""
    from pytest_django.fixtures import validate_django_db

    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        return "transactional"
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        return "transactional" if transaction or reset_sequences else "db"
    return "db" if "db" in names else None


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering, which this refines
def pytest_collection_modifyitems(items):
    def order(item):
        use, wants = _database_use(item), "programme" in getattr(item, "fixturenames", ())
        if "tests/topology/" in str(item.fspath).replace("\\", "/"):
            # Last of all: once started, the topology's task workers poll the test database's queue and
            # would take the tasks of any later test.
            return (3, not wants)
        if use == "db":
            return (0, wants)
        if use == "transactional":
            return (1, not wants)
        return (2, False)

    items.sort(key=order)


def _reference_data_present():
    from eplus.programme.models import ReferenceDataRelease

    return ReferenceDataRelease.objects.exists()


def _flush():
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def _session_programme(django_db_setup, django_db_blocker, django_db_keepdb):
    from eplus.programme.loader import load_programme

    with django_db_blocker.unblock():
        results = load_programme(provisional=True)  # the tests use the provisional 2027 calls, as the demo does
    yield results
    if django_db_keepdb:  # --reuse-db: leave the kept database as empty as the next session expects it
        with django_db_blocker.unblock():
            _flush()


@pytest.fixture
def programme(_session_programme, db):
    """The real reference data (calls, criteria, LV01 VET envelopes) as `manage load_programme` loads it;
    returns the loader's results (one per data set)."""
    if _reference_data_present():
        return _session_programme
    from eplus.programme.loader import load_programme

    return load_programme(provisional=True)  # a transactional test flushed the session's data


@pytest.fixture(autouse=True)
def _committed_outbox(request):
    """Django's TestCase set-up (the `db` fixture) empties ``mail.outbox`` with a plain list: once the
    database is set up, put back the CommittedOutbox that reading tests need."""
    use = _database_use(request.node)
    if use is not None:
        # `programme` first: its session-wide load must happen before this test's transaction begins.
        request.getfixturevalue("programme" if "programme" in request.fixturenames else
                                "transactional_db" if use == "transactional" else "db")
        from django.core import mail

        mail.outbox = CommittedOutbox()


@pytest.fixture(autouse=True)
def _no_reference_data_unless_asked(request):
    """A database test that does not ask for `programme` starts without reference data."""
    use = _database_use(request.node)
    if use is None or "programme" in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if use == "transactional" else "db")
    if not _reference_data_present():
        return
    if use == "transactional":
        _flush()  # what this test's own teardown would do anyway
    else:
        pytest.fail("reference data is loaded, but this test did not ask for `programme`: the tests ran out of "
                    "the order tests/conftest.py gives them, or a kept (--reuse-db) database still holds it "
                    "(run once with --create-db)")


# --- for tests without `programme`: the two agencies they need ------------------------------------------

@pytest.fixture
def lv(db):
    from tests.factories import make_country

    return make_country("LV", "Latvia")


@pytest.fixture
def lt(db):
    from tests.factories import make_country

    return make_country("LT", "Lithuania")


@pytest.fixture
def lv01(lv):
    from eplus.programme.models import Agency

    return Agency.objects.create(code="LV01", name="Latvian agency (fictional)", country=lv)


@pytest.fixture
def lt01(lt):
    from eplus.programme.models import Agency

    return Agency.objects.create(code="LT01", name="Lithuanian agency (fictional)", country=lt)


# --- the browser: one Chromium for the whole session (browser journeys and topology tests) -------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    )
    yield browser
    browser.close()


AXE_JS = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")):
    """Run axe-core (from node_modules) in the page; return violations of the given impacts."""
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture
def assert_accessible():
    def check(page, label=""):
        violations = axe_violations(page)
        assert violations == [], f"axe violations on {label or page.url}: {violations}"

    return check


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in Latvian leaves Latvian active in the test's thread: every test starts in the default."""
    yield
    from django.utils import translation

    translation.deactivate()
