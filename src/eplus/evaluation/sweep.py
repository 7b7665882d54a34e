"""Periodic work of the evaluation app, run by ``./run manage sweep`` (idempotent): the cases of every
deadline that has passed are opened, each with its stored eligibility verdict (see :mod:`.cases`); a
grant agreement whose PDF is missing (its task lost with a killed worker, or the file gone) gets it
rendered again; a case opened before a late submission under an accepted incident report follows it.
"""

from eplus.core.files import rows_to_render_again

from .cases import follow_late_submissions, open_cases
from .models import GrantAgreement
from .tasks import render_agreement_pdf


def sweep(now):
    missing = rows_to_render_again(GrantAgreement.objects, "pdf", "created_at", now)
    for pk in missing:
        render_agreement_pdf.enqueue(pk)
    moved, left = follow_late_submissions()
    counts = {"cases_opened": len(open_cases(now)), "agreement_pdfs_rendered_again": len(missing)}
    if moved or left:  # only when late submissions under an accepted incident report came after the case opened
        counts.update(cases_following_a_late_submission=moved, late_submissions_after_the_formal_check=left)
    return counts
