"""Background work of the evaluation app (django-tasks): the grant agreement's PDF, rendered once when the
agreement is issued and stored (the pages only serve the stored file), and the duplicate and originality
check, which compares every application of a deadline (15 s at 20 000 applications)."""

from django_tasks import task


@task()
def render_agreement_pdf(agreement_id):
    """Render the grant agreement with WeasyPrint and attach it (once)."""
    from .agreements import render_agreement

    return render_agreement(agreement_id).pdf.name


@task()
def run_similarity_check(run_id):
    """Run one queued similarity check (eplus.evaluation.findings.perform_similarity_run)."""
    from .findings import perform_similarity_run

    return perform_similarity_run(run_id).state
