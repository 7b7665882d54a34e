"""Root-level public URLs of the results platform (open data, sitemap, feeds), included at "/"."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import opendata_views
from .feeds import NewResultsFeed, SavedSearchFeed
from .sitemaps import SITEMAPS

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("feeds/results.atom", NewResultsFeed(), name="results_feed"),
    path("feeds/saved/<str:token>.atom", SavedSearchFeed(), name="saved_search_feed"),
    path("opendata/", opendata_views.opendata_page, name="opendata"),
    path("opendata/projects.csv", opendata_views.projects_csv, name="opendata_csv"),
    path("opendata/projects.xlsx", opendata_views.projects_xlsx, name="opendata_xlsx"),
    path("opendata/catalog.jsonld", opendata_views.catalogue, name="opendata_catalogue"),
]
