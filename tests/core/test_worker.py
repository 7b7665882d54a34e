"""The task worker's recovery (eplus.core.worker) and ``./run worker``'s command, on PostgreSQL: a task
whose worker's liveness lock is gone goes back to the queue; a live worker's task is left alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from eplus.core import worker
from eplus.core.models import OutgoingMail
from eplus.core.outbox import queue_mail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def database_queue(settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the worker's liveness locks are PostgreSQL advisory locks")
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["database"]}}
    settings.WORKER_NICENESS = 0  # the worker command runs in the test process: leave its priority alone


def _claimed_by(worker_ids):
    """A queued mail whose send task a worker has claimed (RUNNING)."""
    mail = queue_mail(["someone@school.example"], "Subject", "Body", kind="test/worker")
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", worker_ids=worker_ids)
    return mail, task


def test_a_live_workers_task_stays_and_a_dead_workers_task_is_queued_again(database_queue):
    with worker.Liveness("alive-worker-1"):
        _mail, task = _claimed_by(["alive-worker-1"])
        assert worker.reclaim_abandoned_tasks() == 0
        task.refresh_from_db()
        assert task.status == "RUNNING"
    # The worker is gone (its connection closed: PostgreSQL freed the lock).
    assert worker.reclaim_abandoned_tasks() == 1
    task.refresh_from_db()
    assert task.status == "READY" and task.started_at is None
    assert worker.reclaim_abandoned_tasks() == 0  # nothing twice


def test_a_task_that_killed_too_many_workers_is_failed(database_queue):
    _mail, task = _claimed_by([f"dead-{n}" for n in range(worker.MAX_RUNS)])
    assert worker.reclaim_abandoned_tasks() == 1
    task.refresh_from_db()
    assert task.status == "FAILED" and "died 5 times" in task.traceback


def test_the_worker_command_runs_the_queue_and_recovers_first(database_queue):
    from django.core import mail as django_mail

    mail, _task = _claimed_by(["a-worker-that-was-killed"])
    call_command("run_worker", batch=True)  # reclaims, runs what is queued, exits
    mail.refresh_from_db()
    assert mail.state == OutgoingMail.State.SENT and mail.attempts == 1
    assert [m.to for m in django_mail.outbox] == [["someone@school.example"]]
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_worker_command_refuses_the_in_process_backend(settings):
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["immediate"]}}
    with pytest.raises(CommandError, match="no queue"):
        call_command("run_worker")


def test_lock_keys_are_stable_signed_64_bit_numbers():
    assert worker.lock_key("host-1-abc") == worker.lock_key("host-1-abc") != worker.lock_key("host-2-abc")
    assert -(2 ** 63) <= worker.lock_key("x") < 2 ** 63


_NICE_PROBE = """
import os, sys
sys.path.insert(0, {src!r})
from eplus.core.worker import yield_cpu_to_web
print(yield_cpu_to_web(7))
print(os.nice(0))
print(open("/proc/self/autogroup").read().strip() if os.path.exists("/proc/self/autogroup") else "none")
"""


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities on this system")
def test_the_worker_yields_the_cpu_to_the_web_also_across_sessions():
    """A worker started in a session of its own (a service manager, setsid) lowers its nice value and, where
    the kernel groups the CPU by session (autogroups), its session's — else it would take an equal share
    of the CPU beside gunicorn however nice it is (the deadline bench's slow saves)."""
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run([sys.executable, "-c", _NICE_PROBE.format(src=src)], capture_output=True, text=True,
                         start_new_session=True, timeout=60, check=True).stdout.split("\n")
    assert out[0] == "7" and out[1] == "7"
    if out[2] != "none":
        assert out[2].endswith("nice 7")


def test_a_worker_asked_not_to_yield_keeps_its_priority():
    from eplus.core.worker import yield_cpu_to_web

    before = os.nice(0)
    assert yield_cpu_to_web(0) is None
    assert os.nice(0) == before
