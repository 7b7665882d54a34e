from django.urls import path

from .views import editing, files, public, review, saved

app_name = "results"
urlpatterns = [
    path("", public.search_page, name="search"),
    path("partners/", public.partner_search, name="partners"),
    path("organisations/<str:key>/", public.organisation_page, name="organisation"),
    path("files/<int:file_id>/", files.download, name="download"),
    path("mine/", editing.mine, name="mine"),
    path("saved/", saved.saved_list, name="saved_list"),
    path("saved/new/", saved.saved_new, name="saved_new"),
    path("saved/<int:pk>/frequency/", saved.saved_frequency, name="saved_frequency"),
    path("saved/<int:pk>/delete/", saved.saved_delete, name="saved_delete"),
    path("saved/unsubscribe/<str:token>/", saved.unsubscribe, name="saved_unsubscribe"),
    path("agency/", review.review_queue, name="review_queue"),
    path("agency/<str:identifier>/", review.review, name="review"),
    path("agency/<str:identifier>/results/<int:result_id>/withdraw/", review.withdraw_result,
         name="withdraw_result"),
    path("agency/<str:identifier>/<str:decision>/", review.review_decide, name="review_decide"),
    path("p/<str:identifier>/", public.project_page, name="project"),
    path("p/<str:identifier>/logo/<str:kind>/", public.logo, name="logo"),
    path("p/<str:identifier>/results/<int:result_id>/", public.result_page, name="result"),
    path("p/<str:identifier>/flag/good-practice/", review.flag_good_practice, name="flag_good_practice"),
    path("p/<str:identifier>/flag/success-story/", review.flag_success_story, name="flag_success_story"),
    path("p/<str:identifier>/edit/", editing.edit, name="edit"),
    path("p/<str:identifier>/edit/website/", editing.set_website, name="website"),
    path("p/<str:identifier>/edit/logo/", editing.set_logo, name="set_logo"),
    path("p/<str:identifier>/edit/contacts/", editing.contact, name="contact_add"),
    path("p/<str:identifier>/edit/contacts/<int:contact_id>/", editing.contact, name="contact_edit"),
    path("p/<str:identifier>/edit/results/", files.result_form, name="result_add"),
    path("p/<str:identifier>/edit/results/<int:result_id>/", files.result_form, name="result_edit"),
    path("p/<str:identifier>/edit/results/<int:result_id>/files/", files.add_file, name="file_add"),
    path("p/<str:identifier>/edit/files/<int:file_id>/delete/", files.delete_file, name="file_delete"),
    path("p/<str:identifier>/edit/submit/", editing.submit, name="submit"),
]
