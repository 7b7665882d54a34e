from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.create, name="create"),
    path("agency/incidents/", views.agency_incident_list, name="agency_incidents"),
    path("incidents/<int:report_pk>/screenshots/<int:shot_pk>/", views.incident_file, name="incident_file"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sections/<slug:key>/", views.section_page, name="section"),
    path("<int:pk>/annexes/<int:annex_pk>/", views.annex_file, name="annex"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/submissions/<int:submission_pk>/", views.submitted, name="submitted"),
    path("<int:pk>/submissions/<int:submission_pk>/pdf/", views.submission_pdf, name="submission_pdf"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/share/", views.share, name="share"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/incident/", views.incident, name="incident"),
]
