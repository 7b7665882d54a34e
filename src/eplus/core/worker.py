"""The task worker's recovery: a task whose worker died (``kill -9``, a lost machine) runs again.

django-tasks-db claims a task by marking it RUNNING and never looks at it again; a worker killed in the
middle would leave it RUNNING for ever. Each of our workers therefore holds a PostgreSQL advisory lock
named after its worker id for as long as it lives (PostgreSQL frees it when the connection dies, however
the process ends), and every worker regularly puts back to READY the RUNNING tasks whose worker's lock
is free. Tasks are written to be idempotent (they check what is already done), so a task that was
interrupted after part of its work finishes it exactly once.
"""

import hashlib
import logging
import os
import threading
import time

from django.db import close_old_connections, connection, connections

logger = logging.getLogger("eplus.worker")

RECLAIM_EVERY_SECONDS = 10
MAX_RUNS = 5  # a task that has killed this many workers is failed, not run for ever


def yield_cpu_to_web(niceness):
    """Lower this worker's CPU priority so that on a shared machine the web answers first and background
    work (PDFs, e-mails, builds) takes what is left; it still gets the whole CPU when the web is idle.

    On Linux with scheduler autogroups a process's nice value only counts against processes of its own
    session; a worker started in a session of its own (a service manager, ``setsid``) would still get an
    equal share beside gunicorn. Such a worker — the session leader — therefore also lowers its
    autogroup's priority. Returns the niceness now in effect, or None when it could not be changed.
    """
    if niceness <= 0 or not hasattr(os, "nice"):
        return None
    try:
        current = os.nice(0)
        if current < niceness:
            os.nice(niceness - current)
        autogroup = "/proc/self/autogroup"
        if os.getsid(0) == os.getpid() and os.path.exists(autogroup):
            with open(autogroup, "w") as handle:
                handle.write(str(niceness))
        return os.nice(0)
    except OSError as exc:
        logger.warning("could not lower the worker's CPU priority to %s: %s", niceness, exc)
        return None


def lock_key(worker_id):
    """The advisory-lock key (a signed 64-bit integer) of a worker id."""
    return int.from_bytes(hashlib.sha256(worker_id.encode()).digest()[:8], "big", signed=True)


class Liveness:
    """Holds the worker's advisory lock on a connection of its own while the worker runs."""

    def __init__(self, worker_id):
        self.worker_id = worker_id
        self._connection = None

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self  # the demo (SQLite) runs tasks in the web process: nothing to recover
        self._connection = connections.create_connection("default")
        self._connection.ensure_connection()
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(self.worker_id)])
        return self

    def __exit__(self, *exc):
        if self._connection is not None:
            self._connection.close()  # frees the lock


def _worker_alive(cursor, worker_id):
    cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(worker_id)])
    if cursor.fetchone()[0]:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(worker_id)])
        return False
    return True


def reclaim_abandoned_tasks():
    """Put the RUNNING tasks of dead workers back in the queue; returns how many."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if connection.vendor != "postgresql":
        return 0
    reclaimed = 0
    with connection.cursor() as cursor:
        for result in DBTaskResult.objects.running().only("id", "worker_ids"):
            if result.worker_ids and _worker_alive(cursor, result.worker_ids[-1]):
                continue
            still = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING,
                                                worker_ids=result.worker_ids)
            if len(result.worker_ids) >= MAX_RUNS:
                changed = still.update(status=TaskResultStatus.FAILED, exception_class_path="eplus.core.worker.WorkerLost",
                                       traceback=f"The task's worker died {len(result.worker_ids)} times while running it.")
            else:
                changed = still.update(status=TaskResultStatus.READY, started_at=None)
            if changed:
                reclaimed += 1
                logger.warning("task %s: its worker %s is gone; queued again", result.pk, result.worker_ids[-1:])
    return reclaimed


def reclaim_in_background(stop):
    """Every few seconds until ``stop`` is set (a daemon thread beside the worker's loop)."""
    def loop():
        while not stop.wait(RECLAIM_EVERY_SECONDS):
            try:
                reclaim_abandoned_tasks()
            except Exception:  # a database hiccup must not kill the worker; try again next round
                logger.exception("reclaiming abandoned tasks failed")
            finally:
                close_old_connections()

    thread = threading.Thread(target=loop, name="eplus-reclaim", daemon=True)
    thread.start()
    return thread


def wait_for_database(seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            connection.ensure_connection()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
