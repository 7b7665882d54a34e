from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _organisation_saved(sender, instance, created, raw=False, **kwargs):
    """Keep the cards' copies of an organisation's public fields in step with the Organisation row: by a
    task, with the edit's commit (reindexing every card of a large organisation takes seconds)."""
    if raw or created:
        return
    from eplus.core.tasks import enqueue_after_commit

    from .models import CardOrganisation
    from .tasks import refresh_cards_of_organisation

    if CardOrganisation.objects.filter(organisation=instance).exists():  # most organisations have no card
        enqueue_after_commit(refresh_cards_of_organisation, instance.pk)


class ResultsConfig(AppConfig):
    name = "eplus.results"
    label = "results"
    verbose_name = _("Project Results Platform")

    def ready(self):
        from django.db.models.signals import post_save

        from eplus.organisations.models import Organisation

        from . import rules  # noqa: F401  (registers the permissions)

        post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="results-organisation-sync")
