"""Root-level public URLs of the results platform (open data, sitemap, feeds), included at "/"."""

from django.urls import path  # noqa: F401

urlpatterns = []
