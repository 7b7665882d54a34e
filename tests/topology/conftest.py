"""The production topology on this machine, for the tests that must see it as it is deployed:
``./run serve`` (gunicorn, 2 workers, EPLUS_ENV=production), ``./run worker`` (the database task queue),
Redis, PostgreSQL (the test database), a real S3 API server (moto_server) and a real SMTP server
(aiosmtpd) — all real processes.

The tests talk to it over HTTP as a browser behind the TLS proxy would (``X-Forwarded-Proto: https``),
and set up their data with the ORM in committed transactions, which the servers read. The browser journeys
(``test_*_journey.py``) drive Chromium through it: what a monkeypatch or a settings override in the test
process would have done never reaches the servers, so the journeys change data instead (e.g. a call's
deadline), wait for the worker's tasks and read the e-mails from the SMTP server (``smtp.mailbox``).
"""

import asyncio
import email
import email.policy
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest



REPO = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("EPLUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "Fictional-Pass-2026"

pytestmark = pytest.mark.postgres


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds=30, what="the condition"):
    """``condition()``'s first true value, polled until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


class Process:
    """A server process started through ``./run``; its output goes to a log file the tests read."""

    def __init__(self, name, args, env, log_dir):
        self.name, self.args, self.env = name, args, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.popen = None

    def start(self):
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(["./run", *self.args], cwd=REPO, env=self.env, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")

    def kill(self, sig=signal.SIGTERM):
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


class Topology:
    def __init__(self, env, port, log_dir):
        self.env, self.port, self.log_dir = env, port, log_dir
        self.url = f"http://127.0.0.1:{port}"
        self.web = Process("web", ["serve"], env, log_dir)
        self.workers = []

    wait_for = staticmethod(wait_for)

    def start_worker(self):
        process = Process(f"worker-{len(self.workers)}", ["worker"], self.env, self.log_dir).start()
        self.workers.append(process)
        return process

    def web_pids_serving(self, path_fragment, since=0):
        """The gunicorn worker pids that answered requests whose line contains ``path_fragment``
        (from the access log, which names the worker: ``pid=``)."""
        lines = self.web.log().splitlines()[since:]
        return {m.group(1) for line in lines if path_fragment in line for m in [re.search(r"pid=<?(\d+)", line)] if m}

    def log_length(self):
        return len(self.web.log().splitlines())

    def client(self):
        return Browser(self.url)

    def manage(self, *args, seconds=60):
        """``./run manage ARGS`` as the deployment runs it (e.g. the sweep from cron): the topology's
        environment, its own process; returns what it printed."""
        done = subprocess.run(["./run", "manage", *args], cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=seconds)
        assert done.returncode == 0, f"./run manage {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def site_path(self, url, origins=()):
        """The path (and query) of a link in an e-mail, to open on a topology page (its base_url): the
        link must be on the site's public address (SITE_URL) — or on one of ``origins``."""
        for site in (self.env["SITE_URL"], *origins):
            if url.startswith(site + "/"):
                return url[len(site):]
        raise AssertionError(f"{url} is not a link to {self.env['SITE_URL']}")

    def wait_for_tasks(self, seconds=60):
        """Wait until the task worker has run every task that is due (or due within a few seconds, e.g.
        a debounced build); return the tasks that failed (their paths and tracebacks). A journey ends
        with this, so that no task of its own is still running when the next test flushes the database."""
        from datetime import timedelta

        from django.db.models import Q
        from django.utils import timezone
        from django_tasks_db.models import DBTaskResult, get_date_max

        def pending():
            soon = timezone.now() + timedelta(seconds=5)
            return DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).filter(
                Q(run_after=get_date_max()) | Q(run_after__lte=soon)).exists()

        wait_for(lambda: not pending(), seconds, what="the queued tasks")
        return [(task.task_path, task.traceback) for task in DBTaskResult.objects.filter(status="FAILED")]


class Browser:
    """Just enough of a browser behind the TLS proxy: keeps cookies (also the Secure ones), sends the
    proxy's ``X-Forwarded-Proto`` and the Origin/Referer that Django's CSRF check wants over HTTPS."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}

    def request(self, method, path, data=None, files=None):
        url = self.base + path
        headers = {"X-Forwarded-Proto": "https", "Host": urllib.parse.urlsplit(self.base).netloc,
                   "Origin": self.base.replace("http://", "https://"), "Referer": url.replace("http://", "https://")}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
            if files:
                body, headers["Content-Type"] = _multipart(data, files)
            else:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, response.read().decode(errors="replace")

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data, files=None):
        """``files``: {field: (filename, bytes, content type)} — sent as multipart/form-data."""
        return self.request("POST", path, data, files)

    def log_in(self, email, password):
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"login": email, "password": password})


def _multipart(fields, files):
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wait_until_up(topology, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if topology.web.popen.poll() is not None:
            raise RuntimeError(f"./run serve exited:\n{topology.web.log()[-3000:]}")
        try:
            status, _, _ = topology.client().get("/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"./run serve did not answer within {seconds} s:\n{topology.web.log()[-3000:]}")


def totp_now(secret):
    """The authenticator code for ``secret`` at this moment, as an authenticator app shows it."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def log_in_page(page, email, secret=None, password=PASSWORD):
    """Log in through the log-in form on a topology page; ``secret``: the authenticator's, when the
    account has a second factor (the code is typed on the next step)."""
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()
    if secret:
        page.locator("input[name=code]").fill(totp_now(secret))
        page.locator("main button[type=submit]").first.click()
        page.wait_for_load_state()
        if "/2fa/authenticate/" in page.url:
            # The code was typed in the last moment of its 30-second period and reached the server in the
            # next one (allauth accepts the current period only): as a person would, type the next code.
            time.sleep(30 - time.time() % 30 + 1)
            page.locator("input[name=code]").fill(totp_now(secret))
            page.locator("main button[type=submit]").first.click()
            page.wait_for_load_state()


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

    def clear(self):
        with self._arrived:
            self.messages.clear()

    def wait_for(self, to, count=1, timeout=30):
        """The ``count``-th message to ``to``, once it has arrived (the task worker sends it)."""
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


class ControlledSMTP:
    """A real SMTP server (aiosmtpd) that a test can stop, start again on the same port, or make hold
    the next message before accepting it (to kill the sender in the middle of a send)."""

    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.holding = False
        self.receiving = threading.Event()
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        smtp = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if smtp.holding:
                    smtp.receiving.set()
                    while smtp.holding:  # a sender that dies meanwhile cancels this: nothing is accepted
                        await asyncio.sleep(0.05)
                smtp.mailbox.add(envelope.original_content or envelope.content)
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hold(self):
        self.receiving.clear()
        self.holding = True

    def release(self):
        self.holding = False

    def to(self, address):
        return [m for m in self.mailbox.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def _session_smtp():
    smtp = ControlledSMTP()
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture
def smtp(_session_smtp):
    """The topology's SMTP server, running and accepting at the start of each test, its mailbox empty."""
    _session_smtp.mailbox.clear()
    _session_smtp.release()
    if _session_smtp.controller is None:
        _session_smtp.start()
    yield _session_smtp
    _session_smtp.release()
    if _session_smtp.controller is None:
        _session_smtp.start()


def _coverage_env():
    """When the suite measures coverage (a whole-suite ``./run test``), the servers measure theirs too: what
    the journeys drive runs in ``./run serve`` and ``./run worker``, not in the test process. Each process
    (and each forked gunicorn worker) writes a parallel data file beside the suite's, which pytest-cov
    combines into it when the session ends (the servers have stopped by then)."""
    import copy

    import coverage

    current = coverage.Coverage.current()
    if current is None:
        return {}
    config = copy.copy(current.config)
    config.parallel = True
    config.data_file = os.path.abspath(current.config.data_file)
    config.patch = ["fork", "_exit"]  # a new data file per forked worker; saved also on os._exit
    return {"COVERAGE_PROCESS_CONFIG": config.serialize()}


def production_env(port, smtp_port, media_root, **extra):
    """The environment of ``./run serve`` / ``./run worker`` as deployed, on this machine's test database."""
    from django.db import connection

    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")},
        "EPLUS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60), "PORT": str(port),
        "WEB_CONCURRENCY": "2", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Chromium talks plain HTTP to 127.0.0.1 (behind the "proxy" header), so it sends http:// origins.
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port},http://127.0.0.1:{port},http://localhost:{port}",
        "SITE_URL": f"https://127.0.0.1:{port}",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DB_CONN_MAX_AGE": "0", "REDIS_URL": REDIS_TEST_URL, "TASKS_BACKEND": "database",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "10", "MAIL_RETRY_BASE_SECONDS": "2",
        "MEDIA_ROOT": str(media_root), "LOG_LEVEL": "WARNING",
        "OPEN_DATA_BUILD_DELAY_SECONDS": "1",  # the worker rebuilds the open-data files a second after a change
        "OPEN_DATA_REPLACED_FILE_KEEP_SECONDS": "3",  # and deletes the replaced one 3 s after that
        # The journeys' links are fictional (*.example): the sweep's link check (tests/results/test_links.py,
        # against a real local server) would only find them broken and mail the coordinators about it.
        "LINK_CHECK_PER_RUN": "0",
        **_coverage_env(), **extra,
    }


@pytest.fixture(scope="session")
def topology(django_db_setup, django_db_blocker, _session_smtp, tmp_path_factory):
    from tests.object_storage import S3Server

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the production topology runs on PostgreSQL")
    port = free_port()
    log_dir = tmp_path_factory.mktemp("topology")
    s3 = S3Server(free_port(), log_dir).start()  # files go to a real S3 API server, as deployed
    env = production_env(port, _session_smtp.port, log_dir / "media", **s3.env())
    topology = Topology(env, port, log_dir)
    topology.s3 = s3
    topology.web.start()
    try:
        _wait_until_up(topology)
        topology.start_worker()
        yield topology
    finally:
        for worker in topology.workers:
            worker.kill()
        topology.web.kill()
        s3.stop()


@pytest.fixture
def live(topology, transactional_db, settings):
    """The topology, with this test's data committed where the servers see it, and a clean Redis."""
    import redis
    from django.contrib.auth.hashers import make_password  # noqa: F401 (the servers' hashers, below)

    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    settings.CACHES = {"default": {"BACKEND": "eplus.core.cache.RedisCache", "LOCATION": REDIS_TEST_URL}}
    # Passwords the servers can check: their hashers, not the tests' fast MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    return topology


def verified_user(email, password=PASSWORD, **fields):
    from allauth.account.models import EmailAddress

    from tests.factories import make_user

    user = make_user(email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def topology_page(live, browser):
    """A factory of Chromium pages on the topology, each its own person (own cookies), sent through the
    "TLS proxy" (X-Forwarded-Proto: https) as deployed; axe-core may be injected (bypass_csp)."""
    contexts = []

    def make(locale="en-GB", timezone_id="Europe/Riga"):
        context = browser.new_context(base_url=live.url.replace("127.0.0.1", "localhost"), locale=locale,
                                      timezone_id=timezone_id, bypass_csp=True,
                                      extra_http_headers={"X-Forwarded-Proto": "https"})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
