"""JSON API of the projects app (django-ninja), mounted by eplus.api.urls."""

from ninja import Router

router = Router(tags=["projects"])
