"""JSON API of the evaluation app (django-ninja), mounted by eplus.api.urls."""

from ninja import Router

router = Router(tags=["evaluation"])
