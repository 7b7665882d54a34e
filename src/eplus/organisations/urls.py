from django.urls import path, register_converter

from . import views


class OIDConverter:
    regex = "E[0-9]{8}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(OIDConverter, "oid")

app_name = "organisations"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("search/", views.search, name="search"),
    path("register/", views.register, name="register"),
    path("register/<int:draft_id>/delete/", views.delete_draft, name="draft_delete"),
    path("register/<int:draft_id>/<slug:step>/", views.register, name="register_step"),
    path("agency/", views.agency_queue, name="agency_queue"),
    path("agency/<oid:oid>/", views.agency_review, name="agency_review"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("<oid:oid>/", views.detail, name="detail"),
    path("<oid:oid>/registered/", views.registered, name="registered"),
    path("<oid:oid>/members/invite/", views.invite, name="invite"),
    path("<oid:oid>/members/<int:member_id>/", views.member_edit, name="member_edit"),
]
