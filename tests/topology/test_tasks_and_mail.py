"""The task queue and the outbox on the real topology (issue 11): a worker killed with ``kill -9`` in the
middle of a job, and a mail server that is down for a while."""

import signal
import time

import pytest

from .conftest import verified_user

pytestmark = [pytest.mark.postgres, pytest.mark.topology]


def _ask_for_password_reset(live, email):
    client = live.client()
    client.get("/accounts/password/reset/")
    status, _, _ = client.post("/accounts/password/reset/", {"email": email})
    assert status == 302


def _mail_row(email):
    from eplus.core.models import OutgoingMail

    return OutgoingMail.objects.filter(recipients__contains=[email]).first()


def test_a_worker_killed_in_the_middle_of_a_send_is_replaced_and_the_mail_goes_once(live, smtp):
    from django_tasks_db.models import DBTaskResult

    verified_user("forgetful@school.example")
    smtp.hold()  # the next message stays in the middle of its SMTP conversation
    _ask_for_password_reset(live, "forgetful@school.example")
    assert smtp.receiving.wait(30), "the worker did not start sending"

    worker = next(w for w in live.workers if w.popen.poll() is None)
    worker.kill(signal.SIGKILL)  # kill -9, mid-send
    smtp.release()
    time.sleep(1)
    assert smtp.to("forgetful@school.example") == []  # the half-sent message was never accepted
    row = _mail_row("forgetful@school.example")
    assert row.state == "queued"
    task = DBTaskResult.objects.get(status="RUNNING")
    assert len(task.worker_ids) == 1

    live.start_worker()  # the next worker finds the dead worker's task and runs it again
    live.wait_for(lambda: smtp.to("forgetful@school.example"), what="the mail after the restart")
    time.sleep(1.5)  # a second copy would have arrived by now
    assert len(smtp.to("forgetful@school.example")) == 1
    row.refresh_from_db()
    task.refresh_from_db()
    # the killed attempt died with its transaction (its row lock too): one recorded, successful attempt
    assert row.state == "sent" and row.attempts == 1
    assert task.status == "SUCCESSFUL" and len(task.worker_ids) == 2


def test_a_mail_is_sent_once_the_mail_server_is_back(live, smtp):
    verified_user("patient@school.example")
    smtp.stop()
    _ask_for_password_reset(live, "patient@school.example")
    row = live.wait_for(lambda: (r := _mail_row("patient@school.example")) and r.attempts >= 1 and r,
                        what="the first, failed attempt")
    assert row.state == "queued" and row.last_error and row.next_attempt_at
    smtp.start()
    message = live.wait_for(lambda: smtp.to("patient@school.example"), what="the retried mail")[0]
    assert "/accounts/password/reset/key/" in smtp.mailbox.body(message)
    time.sleep(1.5)  # a second copy would have arrived by now
    assert len(smtp.to("patient@school.example")) == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts >= 2
