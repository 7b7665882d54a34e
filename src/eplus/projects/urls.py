from django.urls import path

from .views import agency, beneficiary, claims, documents, monitoring, recovery, termination

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
    path("<int:pk>/debit-notes/<int:note_pk>/", recovery.debit_note, name="debit_note"),
    path("<int:pk>/debit-notes/<int:note_pk>/debit-note.pdf", recovery.debit_note_pdf, name="debit_note_pdf"),
    path("<int:pk>/payments.csv", documents.payments_export, name="payments_export"),
    path("<int:pk>/payments.xlsx", documents.payments_export_xlsx, name="payments_export_xlsx"),
    path("<int:pk>/people/", beneficiary.people, name="people"),
    path("<int:pk>/dossier.zip", documents.dossier, name="dossier"),
    path("agency/", agency.agency_queue, name="agency_queue"),
    path("agency/payments.csv", documents.agency_payments_export, name="agency_payments_export"),
    path("agency/payments.xlsx", documents.agency_payments_export_xlsx, name="agency_payments_export_xlsx"),
    path("agency/<int:pk>/", agency.agency_project, name="agency_project"),
    path("agency/reports/<int:report_pk>/", agency.agency_report, name="agency_report"),
    path("<int:pk>/termination/", termination.beneficiary_termination, name="termination"),
    path("agency/<int:pk>/termination/", termination.agency_termination, name="agency_termination"),
    path("<int:pk>/checks/", monitoring.beneficiary_checks_page, name="checks"),
    path("<int:pk>/checks/<int:check_pk>/report/", monitoring.check_report, name="check_report"),
    path("agency/<int:pk>/checks/", monitoring.agency_checks, name="agency_checks"),
    path("<int:pk>/claims/", claims.beneficiary_claims, name="claims"),
    path("agency/<int:pk>/claims/", claims.agency_claims, name="agency_claims"),
    path("agency/<int:pk>/checks/<int:check_pk>/", monitoring.agency_check, name="agency_check"),
]
