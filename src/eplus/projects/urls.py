from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:token>.ics", views.ical, name="ical"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reports/<int:report_pk>/", views.report, name="report"),
    path("<int:pk>/reports/<int:report_pk>/declaration/", views.report_declaration, name="report_declaration"),
    path("<int:pk>/amendments/new/", views.amendment_new, name="amendment_new"),
    path("<int:pk>/payments/<int:payment_pk>/letter.pdf", views.payment_letter, name="payment_letter"),
    path("<int:pk>/payments.csv", views.payments_export, name="payments_export"),
    path("<int:pk>/payments.xlsx", views.payments_export_xlsx, name="payments_export_xlsx"),
    path("<int:pk>/people/", views.people, name="people"),
    path("<int:pk>/dossier.zip", views.dossier, name="dossier"),
    path("agency/", views.agency_queue, name="agency_queue"),
    path("agency/payments.csv", views.agency_payments_export, name="agency_payments_export"),
    path("agency/payments.xlsx", views.agency_payments_export_xlsx, name="agency_payments_export_xlsx"),
    path("agency/<int:pk>/", views.agency_project, name="agency_project"),
    path("agency/reports/<int:report_pk>/", views.agency_report, name="agency_report"),
]
