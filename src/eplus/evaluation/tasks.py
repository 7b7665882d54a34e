"""Background work of the evaluation app (django-tasks): the grant agreement's PDF, rendered once when the
agreement is issued and stored (the pages only serve the stored file)."""

from django_tasks import task


@task()
def render_agreement_pdf(agreement_id):
    """Render the grant agreement with WeasyPrint and attach it (once)."""
    from .agreements import render_agreement

    return render_agreement(agreement_id).pdf.name
