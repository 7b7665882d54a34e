"""The annexes section: upload and remove annexes, and download one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from eplus.core.files import file_response
from eplus.core.input import parse_id
from eplus.core.permissions import permission_required

from .. import forms as F
from ..annexes import add_annex, remove_annex
from .common import add_errors, application_for
from .section_context import mandate_partners, render_section


def post_annex(request, application, section):
    """POST of the annexes section (the caller checked the permission and the deadline)."""
    if request.POST.get("remove"):
        annex = get_object_or_404(application.annexes, pk=parse_id(request.POST["remove"]))
        remove_annex(application, annex, request.user)
        messages.success(request, _("The annex was removed."))
        return redirect("applications:section", application.pk, "annexes")
    partners = mandate_partners(application)
    form = F.AnnexForm(request.POST, request.FILES, partners=partners)
    if form.is_valid():
        organisation = next((o for o in partners if o.oid == form.cleaned_data["organisation"]), None)
        try:
            add_annex(application, form.cleaned_data["kind"], form.cleaned_data["file"], request.user,
                      organisation=organisation)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_errors(form, exc)
            else:
                form.add_error("file", exc.messages)
        else:
            messages.success(request, _("The annex was uploaded."))
            return redirect("applications:section", application.pk, "annexes")
    return render_section(request, application, section, annex_form=form)


@permission_required("applications.view_application", obj=application_for)
def annex_file(request, pk, annex_pk):
    annex = get_object_or_404(request.permission_object.annexes, pk=annex_pk)
    return file_response(annex.file, filename=annex.original_name, content_type=annex.content_type)
