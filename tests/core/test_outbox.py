"""The outbox (eplus.core.outbox): a mail is a row written with its change, sent once by a task, retried
with backoff while the mail server is down — tried with a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from eplus.core import outbox
from eplus.core.models import OutgoingMail
from tests.factories import make_officer
from tests.topology.conftest import ControlledSMTP

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, not running until the test starts it."""
    server = ControlledSMTP()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    yield server
    server.stop()


def _queue(**extra):
    return outbox.queue_mail(["anna@school.example"], "Your receipt", "Body text", kind="test/receipt",
                             language="en", **extra)


def test_nothing_is_sent_when_the_change_is_rolled_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the change fails after the mail was queued")
    assert OutgoingMail.objects.count() == 0 and len(mail.outbox) == 0


def test_a_committed_mail_is_sent_once_with_a_stable_message_id():
    queued = _queue(agency_code="LV01")
    assert len(mail.outbox) == 1  # the commit runs the send task
    queued.refresh_from_db()
    assert queued.state == OutgoingMail.State.SENT and queued.attempts == 1 and queued.sent_at
    assert mail.outbox[0].extra_headers["Message-ID"] == queued.message_id
    assert outbox.deliver(queued.pk) == "not queued"  # a second run of the task sends nothing
    assert len(mail.outbox) == 1


def test_a_mail_waits_while_the_server_is_down_and_goes_once_it_is_back(smtp, settings):
    queued = _queue()
    outbox.deliver(queued.pk)  # the server is not running
    queued.refresh_from_db()
    assert queued.state == OutgoingMail.State.QUEUED and queued.attempts == 1
    assert "ConnectionRefused" in queued.last_error
    assert queued.next_attempt_at - timezone.now() > timedelta(seconds=settings.MAIL_RETRY_BASE_SECONDS - 5)
    assert outbox.retry_due(timezone.now()) == {"e-mails retried": 0}  # not due yet

    smtp.start()
    assert outbox.retry_due(queued.next_attempt_at + timedelta(seconds=1)) == {"e-mails retried": 1}
    message = smtp.mailbox.wait_for("anna@school.example")
    assert message["Subject"] == "Your receipt" and message["Message-ID"] == queued.message_id
    queued.refresh_from_db()
    assert queued.state == OutgoingMail.State.SENT and queued.attempts == 2
    outbox.retry_due(timezone.now() + timedelta(days=1))
    assert len(smtp.mailbox.messages) == 1


def test_after_the_last_attempt_the_mail_is_marked_failed(smtp, settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    queued = _queue()
    outbox.deliver(queued.pk)
    outbox.deliver(queued.pk)
    queued.refresh_from_db()
    assert queued.state == OutgoingMail.State.FAILED and queued.next_attempt_at is None and queued.attempts == 2


def test_the_backoff_doubles_up_to_a_limit(settings):
    settings.MAIL_RETRY_BASE_SECONDS = 60
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 10)] == [60, 120, 240, 3600]


def test_agency_staff_see_their_agencys_mail_only(client, lv01, lt01):
    officer = make_officer(lv01)
    ours = _queue(agency_code="LV01")
    theirs = outbox.queue_mail(["someone@else.example"], "Other agency", "Body", kind="test/other",
                               agency_code="LT01")
    failed = outbox.queue_mail(["bounce@school.example"], "Failed one", "Body", kind="test/failed", agency_code="LV01")
    OutgoingMail.objects.filter(pk=failed.pk).update(state=OutgoingMail.State.FAILED, last_error="550 no such user")
    client.force_login(officer)
    page = client.get(reverse("evaluation:mail_log")).content.decode()
    assert "Your receipt" in page and "Failed one" in page and "Other agency" not in page
    assert "1 e-mail could not be sent." in page
    only_failed = client.get(reverse("evaluation:mail_log"), {"state": "failed"}).content.decode()
    assert "Failed one" in only_failed and "Your receipt" not in only_failed
    detail = client.get(reverse("evaluation:mail_detail", args=[failed.pk])).content.decode()
    assert "550 no such user" in detail and "bounce@school.example" in detail
    assert client.get(reverse("evaluation:mail_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("evaluation:mail_detail", args=[ours.pk])).status_code == 200
    client.force_login(make_officer(lt01))
    assert "Your receipt" not in client.get(reverse("evaluation:mail_log")).content.decode()


def test_the_mail_log_is_not_there_for_applicants(client):
    from tests.factories import make_user

    client.force_login(make_user())
    assert client.get(reverse("evaluation:mail_log")).status_code == 404


def test_the_mail_log_pages_keep_the_filter_and_cost_the_same_queries(client, lv01, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(101):  # one more than a page
        OutgoingMail.objects.create(kind="test/log", recipients=[f"p{n}@school.example"], from_email="x@eplus.example",
                                    subject=f"Mail {n}", body="Body", message_id=f"<m{n}@eplus.example>",
                                    agency_code="LV01")
    client.force_login(make_officer(lv01))
    url = reverse("evaluation:mail_log")
    first = client.get(url, {"state": "queued"}).content.decode()
    assert 'href="?state=queued&amp;page=2" rel="next"' in first
    second = client.get(url, {"state": "queued", "page": 2}).content.decode()
    assert 'href="?state=queued&amp;page=1" rel="prev"' in second and second.count("Mail ") == 1
    with CaptureQueriesContext(connection) as one_row:
        client.get(url, {"page": 2})
    with django_assert_max_num_queries(len(one_row)):  # a hundred rows cost what one row costs
        client.get(url)
