from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The pages that span every stage (home page, dashboard, navigation): the top layer, so they may
    read every app below them."""

    name = "eplus.home"
    label = "home"
    verbose_name = _("Home")
