"""JSON API of the applications app (django-ninja), mounted by eplus.api.urls."""

from ninja import Router

router = Router(tags=["applications"])
