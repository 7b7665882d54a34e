"""A section page: the form, its autosave (htmx) and the choice between two versions after a conflict.
The organisations and annexes sections post to their own handlers (``partners``, ``annexes``)."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required

from .. import forms as F
from ..errors import ApplicationError
from ..models import Section
from ..rules import deadline_open
from ..section_data import post_to_data, section_form
from ..sections import save_section
from .annexes import post_annex
from .common import application_for, page_context
from .partners import post_participant
from .section_context import autosave_response, section_context


@permission_required("applications.view_application", obj=application_for)
def section_page(request, pk, key):
    application = request.permission_object
    if key not in F.SECTION_KEYS:
        raise Http404
    section = get_object_or_404(Section, application=application, key=key)
    if request.method != "POST":
        return render(request, "applications/section.html", section_context(request, application, section))
    if not request.user.has_perm("applications.change_application", application):
        raise Http404
    if not deadline_open(application):
        messages.error(request, _("The deadline has passed; the application can no longer be changed."))
        return redirect("applications:section", application.pk, key)
    if key == "organisations":
        return post_participant(request, application, section)
    if key == "annexes":
        return post_annex(request, application, section)
    return _post_form(request, application, section)


def _yours(request):
    """The user's own version carried through the conflict page, if any."""
    try:
        yours = json.loads(request.POST.get("yours_json") or "null")
    except ValueError:
        return None
    return yours if isinstance(yours, dict) else None


def _post_form(request, application, section):
    key, action, yours = section.key, request.POST.get("action", "save"), _yours(request)
    if action == "merge" and yours is not None:
        theirs = Section.objects.get(pk=section.pk)
        context = section_context(request, application, section, data=yours, base_version=theirs.version,
                                  theirs=theirs)
        return render(request, "applications/section.html", context)
    data = yours if action == "keep-mine" and yours is not None else post_to_data(application, key, request.POST)
    try:
        result = save_section(application, key, data, request.POST.get("base_version"), request.user)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("applications:section", application.pk, key)
    if request.headers.get("HX-Request"):
        return autosave_response(request, application, result)
    if result.conflict:
        context = page_context(application)
        context.update(result=result, key=key, title=F.SECTION_TITLES[key], section=result.section,
                       theirs_rows=_rows(application, key, result.theirs),
                       yours_rows=_rows(application, key, result.yours),
                       yours_json=json.dumps(result.yours), theirs_by=result.section.updated_by)
        return render(request, "applications/conflict.html", context, status=409)
    messages.success(request, _("The section was saved."))
    return redirect("applications:section", application.pk, key)


def _display(value):
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


def _rows(application, key, data):
    """(label, value) pairs of a section's data, for showing two versions side by side."""
    if key == "design":
        return [(f"{index + 1}. {name}", value)
                for index, item in enumerate((data or {}).get("items") or []) for name, value in item.items()]
    form = section_form(application, key, None, bound=False)
    return [(field.label, _display((data or {}).get(name, ""))) for name, field in form.fields.items()]
