"""``./run worker``: the task worker of the configured backend (settings.TASKS_BACKEND)."""

import os
import secrets
import socket
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from eplus.core import worker


class Command(BaseCommand):
    help = "Run background tasks: the database queue (default in production) or RQ on Redis (TASKS_BACKEND=rq)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit.")

    def handle(self, *args, batch=False, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend not in (settings.TASK_BACKENDS["rq"], settings.TASK_BACKENDS["database"]):
            raise CommandError(f"TASKS_BACKEND is {backend}: tasks run inside the web process, there is no queue "
                               "to work on. Set TASKS_BACKEND=database (or rq) for ./run serve and ./run worker.")
        worker.yield_cpu_to_web(settings.WORKER_NICENESS)
        if backend == settings.TASK_BACKENDS["rq"]:
            call_command("rqworker", "default", job_class="django_tasks_rq.Job", burst=batch)
        else:
            self._database_worker(batch)

    def _database_worker(self, batch):
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"  # unique even when a pid comes again
        worker.wait_for_database()
        stop = threading.Event()
        with worker.Liveness(worker_id):
            worker.reclaim_abandoned_tasks()  # what a killed worker left behind, before taking new work
            worker.reclaim_in_background(stop)
            try:
                call_command("db_worker", worker_id=worker_id, batch=batch, reload=False, interval=0.5)
            finally:
                stop.set()
