"""Read-side questions other layers ask the back office."""

from .models import Case, DecisionStatus


def decision_released(application):
    """Whether the agency has released its decision on the application."""
    return Case.objects.filter(application=application, decision_status=DecisionStatus.RELEASED).exists()
