from django.urls import path

from .views import agency, beneficiary, documents

app_name = "projects"
urlpatterns = [
    path("", beneficiary.mine, name="mine"),
    path("calendar/", documents.calendar, name="calendar"),
    path("calendar/<str:token>.ics", documents.ical, name="ical"),
    path("<int:pk>/", beneficiary.detail, name="detail"),
    path("<int:pk>/reports/<int:report_pk>/", beneficiary.report, name="report"),
    path("<int:pk>/reports/<int:report_pk>/declaration/", documents.report_declaration, name="report_declaration"),
    path("<int:pk>/reports/<int:report_pk>/versions/<int:number>/declaration/", documents.version_declaration,
         name="version_declaration"),
    path("<int:pk>/reports/<int:report_pk>/documents/<int:document_pk>/", documents.report_document,
         name="report_document"),
    path("<int:pk>/amendments/new/", beneficiary.amendment_new, name="amendment_new"),
    path("<int:pk>/payments/<int:payment_pk>/letter.pdf", documents.payment_letter, name="payment_letter"),
    path("<int:pk>/payments.csv", documents.payments_export, name="payments_export"),
    path("<int:pk>/payments.xlsx", documents.payments_export_xlsx, name="payments_export_xlsx"),
    path("<int:pk>/people/", beneficiary.people, name="people"),
    path("<int:pk>/dossier.zip", documents.dossier, name="dossier"),
    path("agency/", agency.agency_queue, name="agency_queue"),
    path("agency/payments.csv", documents.agency_payments_export, name="agency_payments_export"),
    path("agency/payments.xlsx", documents.agency_payments_export_xlsx, name="agency_payments_export_xlsx"),
    path("agency/<int:pk>/", agency.agency_project, name="agency_project"),
    path("agency/reports/<int:report_pk>/", agency.agency_report, name="agency_report"),
]
