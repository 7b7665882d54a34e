"""Background work of applications (django-tasks): the PDF of a submission, made off the request path."""

from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@task()
def render_submission_pdf(submission_id):
    """Render the submission's snapshot to PDF with WeasyPrint and attach it (once)."""
    from weasyprint import HTML

    from .forms import SECTION_TITLES
    from .models import Submission
    from .services import store_pdf

    submission = Submission.objects.select_related("application").get(pk=submission_id)
    if submission.pdf:
        return submission.pdf.name
    snapshot = submission.snapshot
    with translation.override(snapshot.get("language") if snapshot.get("language") in ("en", "lv") else "en"):
        html = render_to_string("applications/pdf/submission.html", {
            "submission": submission, "snapshot": snapshot,
            "sections": [(SECTION_TITLES.get(key, key), value) for key, value in snapshot["sections"].items()],
        })
    pdf = HTML(string=html).write_pdf()
    return store_pdf(submission, pdf).pdf.name
