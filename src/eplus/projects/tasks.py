"""Background work of projects (django-tasks): documents rendered off the request path and stored, so
that pages only serve what is stored."""

from django_tasks import task


@task()
def render_payment_letter(payment_id):
    """Render and store the letter of a payment that became due (once)."""
    from .models import Payment
    from .payments import store_letter

    stored = store_letter(Payment.objects.get(pk=payment_id))
    return stored.letter.name if stored is not None else ""


@task()
def render_debit_note(note_id):
    """Render and store the PDF of an issued debit note (once)."""
    from .recovery import store_pdf

    return store_pdf(note_id).pdf.name


@task()
def build_dossier(project_id, user_id=None, audience="agency"):
    """Build the auditors' dossier of a project for ``audience`` ("agency" or "beneficiary") and store it
    (replacing the earlier one of that audience)."""
    from django.contrib.auth import get_user_model

    from .dossier import store_dossier
    from .models import DossierAudience, Project

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return store_dossier(Project.objects.get(pk=project_id), user, DossierAudience(audience)).file.name
