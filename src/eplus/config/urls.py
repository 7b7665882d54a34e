from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from eplus.api.urls import api
from eplus.core import views as core_views

# URLs are not language-prefixed: the language comes from the user's choice (cookie / session).
urlpatterns = [
    path("", core_views.home, name="home"),
    path("dashboard/", core_views.dashboard, name="dashboard"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("accounts/", include("eplus.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("organisations/", include("eplus.organisations.urls")),
    path("programme/", include("eplus.programme.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
