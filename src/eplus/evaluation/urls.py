from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    # agency officers
    path("", views.workspace, name="workspace"),
    path("export.<str:fmt>", views.export, name="export"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/formal-check/", views.formal_check, name="formal_check"),
    path("cases/<int:pk>/assign/", views.assign, name="assign"),
    path("cases/<int:pk>/assignments/<int:assignment_pk>/remove/", views.unassign, name="unassign"),
    path("cases/<int:pk>/countersign/", views.countersign, name="countersign"),
    path("auto-assign/", views.auto_assign, name="auto_assign"),
    path("experts/", views.experts, name="experts"),
    path("similarity/<int:call_pk>/", views.similarity, name="similarity"),
    path("similarity/pairs/<int:pk>/", views.finding, name="finding"),
    path("ranking/<int:call_pk>/<str:sector>/", views.ranking, name="ranking"),
    path("ranking/<int:call_pk>/<str:sector>/cases/<int:pk>/change/", views.manual_change, name="manual_change"),
    path("ranking/<int:call_pk>/<str:sector>/stage/", views.stage, name="stage"),
    path("outbox/", views.outbox, name="outbox"),
    # experts
    path("expert/", views.expert_list, name="expert_assignments"),
    path("expert/<int:pk>/", views.assessment, name="assessment"),
    # applicants
    path("decisions/<int:application_pk>/", views.decision, name="decision"),
    path("decisions/<int:application_pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("decisions/<int:application_pk>/accept/", views.accept_agreement, name="accept_agreement"),
    path("decisions/<int:application_pk>/upload/", views.upload_signed, name="upload_signed"),
]
