"""The Atom feeds: newly published results, and the projects matching a saved search (from the public
projection only)."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext, gettext_lazy as _

from . import alerts, public
from .models import SavedSearch


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


class SavedSearchFeed(Feed):
    """The Atom feed of one saved search: the public projects matching it, newest first. A feed reader
    cannot log in, so the feed is found by the saved search's unguessable ``feed_token`` (anything else:
    404); it shows public data only, like the search page."""

    permission = None  # public (core.permissions): whoever has the token's address
    feed_type = Atom1Feed
    subtitle = _("Erasmus+ projects matching a saved search, newest first.")

    def get_object(self, request, token):
        return get_object_or_404(SavedSearch, feed_token=token)

    def title(self, obj):
        return gettext("Saved search: %(name)s") % {"name": obj.name}

    def link(self, obj):
        return alerts.search_url(obj)

    def items(self, obj):
        return alerts.feed_cards(obj)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary_en

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return item.identifier

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at

    def item_categories(self, item):
        return [c for c in (item.action, item.sector) if c]
