"""The documented scale-out, run for real (issue 11): tasks queued in Redis through the RQ backend of
django-tasks and run by an RQ worker process (``TASKS_BACKEND=rq ./run worker``) — an e-mail from the
outbox and a project's dossier build."""

import zipfile

import pytest

from tests.projects.conftest import ka210, people  # noqa: F401 (fixtures: a project and its people)

from .conftest import Process, free_port, production_env, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.topology, pytest.mark.django_db(transaction=True)]

RQ_REDIS_URL = "redis://127.0.0.1:6379/14"


def test_outbox_mail_and_dossier_build_run_through_rq_workers(ka210, people, settings, _session_smtp,  # noqa: F811
                                                              tmp_path):
    import redis
    from django.db import connection
    from django_tasks import TaskResultStatus, task_backends

    from eplus.core.outbox import queue_mail
    from eplus.projects.models import ProjectDossier
    from eplus.projects.tasks import build_dossier

    if connection.vendor != "postgresql":
        pytest.skip("the production topology runs on PostgreSQL")
    redis.Redis.from_url(RQ_REDIS_URL).flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": RQ_REDIS_URL}}
    env = production_env(free_port(), _session_smtp.port, settings.MEDIA_ROOT, TASKS_BACKEND="rq",
                         REDIS_URL=RQ_REDIS_URL)
    worker = Process("rq-worker", ["worker"], env, tmp_path).start()
    try:
        mail = queue_mail(["auditor@agency.example"], "Dossier ready", "Body", kind="test/rq", agency_code="LV01")
        dossier = build_dossier.enqueue(ka210.pk, people["officer"].pk)
        assert task_backends["default"].__class__.__name__ == "RQBackend"

        def finished():
            result = task_backends["default"].get_result(dossier.id)
            return result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED) and result

        result = wait_for(finished, seconds=90, what="the dossier task on the RQ worker")
        assert result.status == TaskResultStatus.SUCCESSFUL, worker.log()[-3000:]
        message = wait_for(lambda: _session_smtp.to("auditor@agency.example"), what="the mail via RQ")[0]
        assert message["Subject"] == "Dossier ready"
        mail.refresh_from_db()
        assert mail.state == "sent" and mail.attempts == 1

        stored = ProjectDossier.objects.get(project=ka210)
        with stored.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            assert archive.testzip() is None and archive.namelist()
    finally:
        worker.kill()
