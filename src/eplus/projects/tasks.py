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
def build_dossier(project_id, user_id=None):
    """Build the auditors' dossier of a project and store it (replacing the earlier one)."""
    from django.contrib.auth import get_user_model

    from .dossier import store_dossier
    from .models import Project

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return store_dossier(Project.objects.get(pk=project_id), user).file.name
