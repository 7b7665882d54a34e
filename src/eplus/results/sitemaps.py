"""sitemap.xml: public project cards, public results and the search pages (public projection only)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from . import public


class ProjectSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        # (no .only(): audited models snapshot every field when loaded)
        return public.public_cards().prefetch_related(None).select_related(None).order_by("pk")

    def location(self, item):
        return reverse("results:project", args=[item.identifier])

    def lastmod(self, item):
        return item.updated_at


class ResultSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return public.public_results_qs().select_related("card").order_by("pk")

    def location(self, item):
        return reverse("results:result", args=[item.card.identifier, item.pk])

    def lastmod(self, item):
        return item.updated_at


class PagesSitemap(Sitemap):
    priority = 0.8

    def items(self):
        return ["results:search", "results:partners"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"pages": PagesSitemap, "projects": ProjectSitemap, "results": ResultSitemap}
