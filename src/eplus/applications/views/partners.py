"""The organisations section: add a partner by its OID, remove one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from eplus.core.input import parse_id

from .. import forms as F
from ..errors import ApplicationError
from ..partners import add_participant, remove_participant
from .common import add_errors
from .section_context import render_section


def post_participant(request, application, section):
    """POST of the organisations section (the caller checked the permission and the deadline)."""
    if request.POST.get("remove"):
        participation = get_object_or_404(application.participations, pk=parse_id(request.POST["remove"]))
        try:
            remove_participant(application, participation, request.user)
            messages.success(request, _("The organisation was removed from the application."))
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return redirect("applications:section", application.pk, "organisations")
    form = F.ParticipantForm(request.POST)
    if form.is_valid():
        try:
            add_participant(application, form.cleaned_data["oid"], form.cleaned_data["role"], request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The organisation was added; its data comes from its registration."))
            return redirect("applications:section", application.pk, "organisations")
    return render_section(request, application, section, add_form=form)
