"""JSON API of the applications app (django-ninja), mounted by eplus.api.urls at /api/v1/applications/.

The autosave endpoint is what the form's JavaScript-free fallback does by POST, for scripts (and the
deadline-day load test) with a logged-in session: send the CSRF token in ``X-CSRFToken``.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.security import django_auth

from .errors import ApplicationError
from .forms import FORM_SECTIONS
from .models import Section
from .rules import openable_application
from .sections import save_section as save

router = Router(tags=["applications"])


class SectionIn(Schema):
    data: dict[str, Any]
    base_version: int


class SectionOut(Schema):
    key: str
    version: int
    status: str
    data: dict[str, Any]
    eligible: bool | None = None
    errors: list[dict[str, Any]] = []


class ConflictOut(Schema):
    detail: str
    theirs: dict[str, Any]
    theirs_version: int
    yours: dict[str, Any]
    base_version: int


class Message(Schema):
    detail: str


def _application(request, pk, perm="applications.view_application"):
    """The application if the user has ``perm`` on it (the permissions the pages declare); 404 otherwise."""
    application = openable_application(request.user, pk)
    if application is None or not request.user.has_perm(perm, application):
        raise Http404
    return application


@router.get("/{pk}/sections/{key}", auth=django_auth, response={200: SectionOut, 404: Message})
def get_section(request, pk: int, key: str):
    application = _application(request, pk)
    section = get_object_or_404(Section, application=application, key=key)
    return Status(200, {"key": key, "version": section.version, "status": section.status, "data": section.data})


@router.put("/{pk}/sections/{key}", auth=django_auth,
            response={200: SectionOut, 404: Message, 409: ConflictOut, 422: Message})
def save_section(request, pk: int, key: str, payload: SectionIn):
    """Autosave one section from ``base_version``; 409 with both versions when someone saved meanwhile."""
    application = _application(request, pk, "applications.change_application")
    if key not in FORM_SECTIONS:
        return Status(404, {"detail": "This section is not saved as a form."})
    try:
        result = save(application, key, payload.data, payload.base_version, request.user)
    except (ValidationError, ApplicationError, PermissionDenied) as exc:
        return Status(422, {"detail": " ".join(getattr(exc, "messages", [str(exc)]))})
    if result.conflict:
        return Status(409, {"detail": "Someone else saved this section; choose between both versions.",
                     "theirs": result.theirs, "theirs_version": result.theirs_version, "yours": result.yours,
                     "base_version": result.base_version})
    section = result.section
    return Status(200, {"key": key, "version": section.version, "status": section.status, "data": section.data,
                 "eligible": result.verdict.eligible,
                 "errors": [{"rule": c.rule, "message": c.message} for c in result.verdict.errors]})
