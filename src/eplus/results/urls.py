from django.urls import path

from . import views

app_name = "results"
urlpatterns = [
    path("", views.search_page, name="search"),
    path("partners/", views.partner_search, name="partners"),
    path("organisations/<str:key>/", views.organisation_page, name="organisation"),
    path("files/<int:file_id>/", views.download, name="download"),
    path("mine/", views.mine, name="mine"),
    path("agency/", views.review_queue, name="review_queue"),
    path("agency/<str:identifier>/", views.review, name="review"),
    path("agency/<str:identifier>/<str:decision>/", views.review_decide, name="review_decide"),
    path("p/<str:identifier>/", views.project_page, name="project"),
    path("p/<str:identifier>/logo/<str:kind>/", views.logo, name="logo"),
    path("p/<str:identifier>/results/<int:result_id>/", views.result_page, name="result"),
    path("p/<str:identifier>/flag/<str:which>/", views.flag, name="flag"),
    path("p/<str:identifier>/edit/", views.edit, name="edit"),
    path("p/<str:identifier>/edit/website/", views.set_website, name="website"),
    path("p/<str:identifier>/edit/logo/", views.set_logo, name="set_logo"),
    path("p/<str:identifier>/edit/contacts/", views.contact, name="contact_add"),
    path("p/<str:identifier>/edit/contacts/<int:contact_id>/", views.contact, name="contact_edit"),
    path("p/<str:identifier>/edit/results/", views.result_form, name="result_add"),
    path("p/<str:identifier>/edit/results/<int:result_id>/", views.result_form, name="result_edit"),
    path("p/<str:identifier>/edit/results/<int:result_id>/files/", views.add_file, name="file_add"),
    path("p/<str:identifier>/edit/files/<int:file_id>/delete/", views.delete_file, name="file_delete"),
    path("p/<str:identifier>/edit/submit/", views.submit, name="submit"),
]
