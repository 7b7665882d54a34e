from django.urls import path

from . import views

app_name = "programme"
urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("figures/", views.figures, name="figures"),
    path("figures/<int:call_id>/<slug:key>/", views.figure, name="figure"),
]
