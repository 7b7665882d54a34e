from django.urls import path

from .views import assessments, cases, decisions, experts, mail, selection, similarity, workspace

app_name = "evaluation"
urlpatterns = [
    # agency officers
    path("", workspace.workspace, name="workspace"),
    path("export.<str:fmt>", workspace.export, name="export"),
    path("auto-assign/", workspace.auto_assign, name="auto_assign"),
    path("cases/<int:pk>/", cases.case_detail, name="case"),
    path("cases/<int:pk>/application/", cases.case_application, name="case_application"),
    path("cases/<int:pk>/application.pdf", cases.case_submission_pdf, name="case_submission_pdf"),
    path("cases/<int:pk>/application/annexes/<int:annex_pk>/", cases.case_annex, name="case_annex"),
    path("cases/<int:pk>/formal-check/", cases.formal_check, name="formal_check"),
    path("cases/<int:pk>/assign/", cases.assign, name="assign"),
    path("cases/<int:pk>/assignments/<int:assignment_pk>/remove/", cases.unassign, name="unassign"),
    path("cases/<int:pk>/countersign/", cases.countersign, name="countersign"),
    path("cases/<int:pk>/reduce-grant/", cases.reduce, name="reduce_grant"),
    path("experts/", experts.experts, name="experts"),
    path("similarity/<int:call_pk>/", similarity.similarity, name="similarity"),
    path("similarity/pairs/<int:pk>/", similarity.finding, name="finding"),
    path("ranking/<int:call_pk>/<str:sector>/", selection.ranking_page, name="ranking"),
    path("ranking/<int:call_pk>/<str:sector>/cases/<int:pk>/change/", selection.manual_change,
         name="manual_change"),
    path("ranking/<int:call_pk>/<str:sector>/stage/", selection.stage, name="stage"),
    path("outbox/", selection.outbox, name="outbox"),
    path("mail/", mail.mail_log, name="mail_log"),
    path("mail/<int:pk>/", mail.mail_detail, name="mail_detail"),
    # experts
    path("expert/", assessments.expert_list, name="expert_assignments"),
    path("expert/<int:pk>/", assessments.assessment, name="assessment"),
    path("expert/<int:pk>/annexes/<int:annex_pk>/", assessments.assessment_annex, name="assessment_annex"),
    # applicants
    path("decisions/<int:application_pk>/", decisions.decision, name="decision"),
    path("decisions/<int:application_pk>/agreement.pdf", decisions.agreement_pdf, name="agreement_pdf"),
    path("decisions/<int:application_pk>/accept/", decisions.accept_agreement, name="accept_agreement"),
    path("decisions/<int:application_pk>/upload/", decisions.upload_signed, name="upload_signed"),
]

# budget envelopes (agency staff read, administrators change)
from .views import envelopes as envelope_views  # noqa: E402

urlpatterns += [
    path("envelopes/", envelope_views.envelope_list, name="envelopes"),
    path("envelopes/new/", envelope_views.envelope_new, name="envelope_new"),
    path("envelopes/transfer/", envelope_views.envelope_transfer, name="envelope_transfer"),
    path("envelopes/<int:pk>/", envelope_views.envelope_detail, name="envelope"),
]

# after the release: a declined grant, the reserve list (issue 13, item 8)
urlpatterns += [
    path("ranking/<int:call_pk>/<str:sector>/reserve/<int:pk>/select/", selection.select_reserve,
         name="select_reserve"),
    path("decisions/<int:application_pk>/decline/", decisions.decline, name="decline_grant"),
]

# redress: a review of a released rejection (issue 13, item 9)
from .views import redress as redress_views  # noqa: E402

urlpatterns += [
    path("decisions/<int:application_pk>/review/", redress_views.request_review, name="request_review"),
    path("redress/", redress_views.redress_list, name="redress_list"),
    path("redress/<int:pk>/", redress_views.redress_request, name="redress_request"),
]

# experts on a project's final report (issue 14, item 1)
from .views import final_reports as final_report_views  # noqa: E402

urlpatterns += [
    path("final-reports/<int:report_pk>/", final_report_views.final_report, name="final_report"),
    path("expert/final-reports/<int:pk>/", final_report_views.final_report_review, name="final_report_review"),
]
