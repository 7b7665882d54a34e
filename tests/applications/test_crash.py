"""A process killed during a submission: before the commit nothing is half-written (no number, no
submission); after the commit, a submission whose receipt was never rendered gets it from the sweep
(the review found one without its PDF and nothing regenerating it)."""

from datetime import timedelta

import pytest

from eplus.applications.models import Submission
from eplus.core.sweep import run_sweep
from tests.crash import run_killed

from .conftest import make_ready

pytestmark = pytest.mark.django_db(transaction=True)

SUBMIT = """
from eplus.accounts.models import User
from eplus.applications import submission
from eplus.applications.models import Application

submission.submit(Application.objects.get(pk={application}), User.objects.get(pk={user}))
"""


def test_killed_while_the_receipt_renders_the_sweep_renders_it(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    run_killed("import weasyprint\nweasyprint.HTML.write_pdf = die\n"
               + SUBMIT.format(application=application.pk, user=coordinator.pk))
    submission = Submission.objects.get(application=application)
    assert submission.number and not submission.pdf  # committed, without its receipt
    now = clock.state["now"]
    assert run_sweep(now)["applications"] == {"submission_pdfs_rendered_again": 0}  # its task may still run
    assert run_sweep(now + timedelta(hours=1))["applications"] == {"submission_pdfs_rendered_again": 1}
    submission.refresh_from_db()
    with submission.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert run_sweep(now + timedelta(hours=1))["applications"] == {"submission_pdfs_rendered_again": 0}


def test_a_receipt_whose_file_is_gone_is_rendered_again(clock, application, coordinator, partners):
    from eplus.applications import submission as submitting

    make_ready(application, coordinator, partners)
    submission = submitting.submit(application, coordinator)
    submission.refresh_from_db()
    submission.pdf.storage.delete(submission.pdf.name)
    assert run_sweep(clock.state["now"] + timedelta(hours=1))["applications"] == {"submission_pdfs_rendered_again": 1}
    submission.refresh_from_db()
    assert submission.pdf.storage.exists(submission.pdf.name)


def test_killed_before_the_commit_nothing_is_half_written(clock, application, coordinator, partners):
    make_ready(application, coordinator, partners)
    run_killed("from eplus.applications import submission as module\n"
               "store = module._store\n"
               "def store_then_die(*args, **kwargs):\n"
               "    store(*args, **kwargs)\n"
               "    die()\n"
               "module._store = store_then_die\n" + SUBMIT.format(application=application.pk, user=coordinator.pk))
    application.refresh_from_db()
    assert not Submission.objects.filter(application=application).exists() and not application.number
    from eplus.applications import submission as submitting

    assert submitting.submit(application, coordinator).number  # and it can be submitted as usual
