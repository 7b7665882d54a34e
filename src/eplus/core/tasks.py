"""Background work of the core: sending the outbox; and how every app enqueues a task with its change."""

from django.db import transaction
from django_tasks import task, task_backends
from django_tasks_db.backend import DatabaseBackend

from . import outbox


def enqueue_after_commit(task_to_run, *args):
    """Enqueue ``task_to_run(*args)`` as part of the current transaction's change.

    With the database queue (production's default) the task's row is written in the same transaction:
    the change and its follow-up work commit together, or neither does — a process killed just after the
    commit cannot lose the task. Other backends get the task after the commit: a queue outside the
    database (RQ on Redis), so that its worker finds the committed rows; and the in-process backend of
    the demo and the unit tests, which then runs it where the database queue's worker would (unit tests
    see it run with ``django_capture_on_commit_callbacks(execute=True)``, as after a real commit).
    """
    if isinstance(task_backends[task_to_run.backend], DatabaseBackend):
        task_to_run.enqueue(*args)
    else:
        transaction.on_commit(lambda: task_to_run.enqueue(*args))


@task()
def send_outgoing_mail(mail_id):
    """Send one mail of the outbox (a failed attempt queues the next one itself: outbox.deliver)."""
    return outbox.deliver(mail_id)
