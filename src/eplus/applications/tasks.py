"""Background work of applications (django-tasks): the PDF of a submission, made off the request path, and
the section statuses refreshed after an edit of the programme data."""

from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from .models import Submission
from .reading import read_submission
from .snapshots import store_pdf
from .statuses import refresh_open_applications


@task()
def render_submission_pdf(submission_id):
    """Render the submission's snapshot to PDF with WeasyPrint and attach it (once)."""
    from weasyprint import HTML

    submission = Submission.objects.select_related("application__call__action").get(pk=submission_id)
    if submission.pdf:
        return submission.pdf.name
    snapshot = submission.snapshot
    with translation.override(snapshot.get("language") if snapshot.get("language") in ("en", "lv") else "en"):
        html = render_to_string("applications/pdf/submission.html", {
            "submission": submission, "snapshot": snapshot, "reading": read_submission(submission)})
    pdf = HTML(string=html).write_pdf()
    return store_pdf(submission, pdf).pdf.name


@task()
def refresh_section_statuses():
    """Store again the section statuses of every application still open (after a programme data edit)."""
    refresh_open_applications()
