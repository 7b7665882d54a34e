from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("search/", views.my_organisations, name="search"),
    path("agency/", views.my_organisations, name="agency_queue"),
]
