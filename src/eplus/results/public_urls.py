"""Root-level public URLs of the results platform (open data, sitemap, feeds), included at "/"."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from .feeds import NewResultsFeed
from .sitemaps import SITEMAPS

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("feeds/results.atom", NewResultsFeed(), name="results_feed"),
]
