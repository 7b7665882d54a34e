from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    name = "eplus.programme"
    label = "programme"
    verbose_name = _("Programme reference data")

    def ready(self):
        from . import permissions  # noqa: F401  (registers the app's rules predicates)
