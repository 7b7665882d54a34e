from django.urls import path, register_converter

from .views import agency, identifiers, members, public, registration


class OIDConverter:
    regex = "E[0-9]{8}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(OIDConverter, "oid")

app_name = "organisations"
urlpatterns = [
    path("", members.my_organisations, name="mine"),
    path("search/", public.search, name="search"),
    path("register/", registration.register, name="register"),
    path("register/<int:draft_id>/delete/", registration.delete_draft, name="draft_delete"),
    path("register/<int:draft_id>/<slug:step>/", registration.register, name="register_step"),
    path("agency/", agency.agency_queue, name="agency_queue"),
    path("agency/<oid:oid>/", agency.agency_review, name="agency_review"),
    path("invitations/<str:token>/", members.accept_invitation, name="accept_invitation"),
    path("<oid:oid>/", public.detail, name="detail"),
    path("<oid:oid>/registered/", registration.registered, name="registered"),
    path("<oid:oid>/pic/", identifiers.pic, name="pic"),
    path("<oid:oid>/members/invite/", members.invite, name="invite"),
    path("<oid:oid>/members/<int:member_id>/", members.member_edit, name="member_edit"),
]
