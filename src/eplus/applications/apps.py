from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "eplus.applications"
    label = "applications"
    verbose_name = _("Applications")

    def ready(self):
        from .refdata import connect_signals

        connect_signals()
