"""JSON API of the results app (django-ninja), mounted by eplus.api.urls."""

from ninja import Router

router = Router(tags=["results"])
