from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from eplus.api.urls import api
from eplus.core import views as core_views
from eplus.home import views as home_views

# The admin log-in goes through allauth, so it asks for the second factor like every other log-in.
admin.site.login = secure_admin_login(admin.site.login)

# URLs are not language-prefixed: the language comes from the user's choice (cookie / session).
handler429 = "eplus.core.views.too_many_requests"  # allauth's limits (sign-up, log-in, reset) answer with it

urlpatterns = [
    path("", home_views.home, name="home"),
    path("dashboard/", home_views.dashboard, name="dashboard"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("accounts/", include("eplus.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("organisations/", include("eplus.organisations.urls")),
    path("programme/", include("eplus.programme.urls")),
    path("applications/", include("eplus.applications.urls")),
    path("agency/", include("eplus.evaluation.urls")),
    path("projects/", include("eplus.projects.urls")),
    path("results/", include("eplus.results.urls")),
    path("", include("eplus.results.public_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
