from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The fictional demo data of `./run demo`: on top of every app, because it drives them all."""

    name = "eplus.demo"
    label = "demo"
    verbose_name = _("Demo data")
