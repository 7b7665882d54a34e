"""Background work of the evaluation app (django-tasks): the grant agreement's PDF."""

from django_tasks import task


@task()
def render_agreement_pdf(agreement_id):
    """Render the grant agreement with WeasyPrint and attach it (once)."""
    from .models import GrantAgreement
    from .services import render_agreement

    agreement = GrantAgreement.objects.select_related("case__application").get(pk=agreement_id)
    if agreement.pdf:
        return agreement.pdf.name
    return render_agreement(agreement).pdf.name
