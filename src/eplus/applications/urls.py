from django.urls import path

from .views import annexes, incidents, pages, sections, sharing, submission

app_name = "applications"
urlpatterns = [
    path("", pages.mine, name="mine"),
    path("new/", pages.create, name="create"),
    path("agency/incidents/", incidents.agency_incident_list, name="agency_incidents"),
    path("agency/incidents/<int:report_pk>/decide/", incidents.decide, name="decide_incident"),
    path("incidents/<int:report_pk>/screenshots/<int:shot_pk>/", incidents.incident_file, name="incident_file"),
    path("<int:pk>/", pages.detail, name="detail"),
    path("<int:pk>/sections/<slug:key>/", sections.section_page, name="section"),
    path("<int:pk>/annexes/<int:annex_pk>/", annexes.annex_file, name="annex"),
    path("<int:pk>/submit/", submission.submit, name="submit"),
    path("<int:pk>/submissions/<int:submission_pk>/", submission.submitted, name="submitted"),
    path("<int:pk>/submissions/<int:submission_pk>/pdf/", submission.submission_pdf, name="submission_pdf"),
    path("<int:pk>/withdraw/", submission.withdraw, name="withdraw"),
    path("<int:pk>/share/", sharing.share, name="share"),
    path("invitations/<str:token>/", sharing.invitation, name="invitation"),
    path("<int:pk>/history/", pages.history, name="history"),
    path("<int:pk>/incident/", incidents.incident, name="incident"),
]
