"""Periodic work of applications, run by ``./run manage sweep`` (idempotent): a submission whose PDF
receipt is missing — its task was lost with a killed worker, or the stored file is gone — gets it
rendered again."""

from eplus.core.files import rows_to_render_again

from .models import Submission
from .tasks import render_submission_pdf


def sweep(now):
    missing = rows_to_render_again(Submission.objects, "pdf", "submitted_at", now)
    for pk in missing:
        render_submission_pdf.enqueue(pk)
    return {"submission_pdfs_rendered_again": len(missing)}
