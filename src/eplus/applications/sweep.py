"""Periodic work of applications, run by ``./run manage sweep`` (idempotent): a submission whose PDF
receipt is missing — its task was lost with a killed worker, or the stored file is gone — gets it
rendered again."""

from datetime import timedelta

from django.conf import settings

from eplus.core.files import rows_to_render_again

from .models import Submission
from .tasks import render_submission_pdf


def sweep(now):
    settled = Submission.objects.filter(submitted_at__lt=now - timedelta(seconds=settings.ARTEFACT_REPAIR_AFTER_SECONDS))
    recent = settled.filter(submitted_at__gte=now - timedelta(days=settings.ARTEFACT_RECHECK_DAYS))
    missing = rows_to_render_again(settled, "pdf", recheck=recent)
    for pk in missing:
        render_submission_pdf.enqueue(pk)
    return {"submission_pdfs_rendered_again": len(missing)}
