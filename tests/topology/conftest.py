"""The production topology on this machine, for the tests that must see it as it is deployed:
``./run serve`` (gunicorn, 2 workers, EPLUS_ENV=production), ``./run worker`` (the database task queue),
Redis, PostgreSQL (the test database) and a real SMTP server (aiosmtpd) — all real processes.

The tests talk to it over HTTP as a browser behind the TLS proxy would (``X-Forwarded-Proto: https``),
and set up their data with the ORM in committed transactions, which the servers read.
"""

import asyncio
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


class ControlledSMTP:
    """A real SMTP server (aiosmtpd) that a test can stop, start again on the same port, or make hold
    the next message before accepting it (to kill the sender in the middle of a send)."""

    def __init__(self):
        from tests.e2e.conftest import Mailbox

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
    """The topology's SMTP server, running and accepting at the start of each test."""
    _session_smtp.release()
    if _session_smtp.controller is None:
        _session_smtp.start()
    yield _session_smtp
    _session_smtp.release()
    if _session_smtp.controller is None:
        _session_smtp.start()


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
        "MEDIA_ROOT": str(media_root), "LOG_LEVEL": "WARNING", **extra,
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
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_TEST_URL}}
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
