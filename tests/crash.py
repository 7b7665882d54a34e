"""Kill a process mid-way, as the OOM killer or a deploy would: a Python subprocess set up like a web
or task worker on the test database and media folder runs a script that SIGKILLs itself at the point
under test. What it committed stays; the test then checks what the sweep leaves."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.db import connection

PRELUDE = """
import os, signal
from datetime import datetime
from zoneinfo import ZoneInfo

import django

django.setup()
import eplus.core.time

eplus.core.time.now = lambda: datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
"""


def database_url():
    if connection.vendor != "postgresql":
        pytest.skip("a second process needs the PostgreSQL test database (SQLite's is in memory)")
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_killed(script):
    """Run ``script`` (after PRELUDE: ``die()`` kills the process) and assert that it was killed."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eplus.config.settings", "DATABASE_URL": database_url(),
           "MEDIA_ROOT": str(settings.MEDIA_ROOT), "TASKS_BACKEND": "immediate", "STORAGE_BACKEND": "local",
           "EPLUS_ENV": "development", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    env.pop("REDIS_URL", None)
    process = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script)], env=env,
                             capture_output=True, text=True, timeout=180)
    assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
