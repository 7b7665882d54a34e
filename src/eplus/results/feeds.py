"""The Atom feed of newly published results (from the public projection only)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from . import public


class NewResultsFeed(Feed):
    permission = None  # public (core.permissions): anyone may read the feed
    feed_type = Atom1Feed
    title = _("Newly published project results")
    subtitle = _("Results of Erasmus+ projects, newest first.")

    def link(self):
        return reverse("results:search")

    def items(self):
        return public.public_results_feed()

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.description_en

    def item_link(self, item):
        return reverse("results:result", args=[item.card.identifier, item.pk])

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [item.result_type]
