"""A project's debit note, for its people (read only) and its agency (record a repayment, write off), and
its stored PDF. The note is found in the project's documents (a 404 for anyone else); a POST needs
``projects.manage_recovery`` (a 403 for the project's own people)."""

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import recovery
from ..base import ProjectError
from ..forms import RepaymentForm, WriteOffForm
from ..queries import project_notes
from .loaders import documents_project


def _note(request, note_pk):
    return get_object_or_404(project_notes(request.permission_object), pk=note_pk)


def _repayment_form(data):
    """The repayment form; a new one carries a new one-time reference (a bound one keeps the one sent)."""
    return RepaymentForm(data, prefix="repayment", initial={"request_ref": secrets.token_hex(16)})


def _post(request, note):
    """Do the agency's action on ``note``: (message, None) when done, else (None, the forms to show again)."""
    if not request.user.has_perm("projects.manage_recovery", note.project):
        raise PermissionDenied(_("Only the staff of the project's agency can do this."))
    action = request.POST.get("action", "")
    repayment = _repayment_form(request.POST if action == "repayment" else None)
    write_off = WriteOffForm(request.POST if action == "write-off" else None, prefix="write-off")
    form = repayment if action == "repayment" else write_off
    if action not in ("repayment", "write-off") or not form.is_valid():
        if action not in ("repayment", "write-off"):
            form.add_error(None, _("Choose an action."))
        return None, (repayment, write_off)
    try:
        if action == "repayment":
            data = repayment.cleaned_data
            recovery.record_repayment(note, request.user, data["amount"], data["received_on"], data["request_ref"])
            return _("The repayment has been recorded."), None
        recovery.write_off(note, request.user, write_off.cleaned_data["reason"])
        return _("The debit note has been written off."), None
    except ProjectError as exc:
        form.add_error(None, str(exc))
    return None, (repayment, write_off)


@permission_required("projects.view_debit_note", obj=documents_project)
def debit_note(request, pk, note_pk):
    note = _note(request, note_pk)
    forms_ = None
    if request.method == "POST":
        done, forms_ = _post(request, note)
        if done:
            messages.success(request, done)
            return redirect("projects:debit_note", pk, note.pk)
    if forms_ is None:
        forms_ = (_repayment_form(None), WriteOffForm(prefix="write-off"))
    return render(request, "projects/debit_note.html", {
        "project": note.project, "note": note, "offsets": list(note.offsets.all()),
        "repayments": list(note.repayments.all()), "repayment_form": forms_[0], "write_off_form": forms_[1],
        "can_manage": request.user.has_perm("projects.manage_recovery", note.project)})


@permission_required("projects.view_debit_note", obj=documents_project)
def debit_note_pdf(request, pk, note_pk):
    """The stored PDF of the debit note (404 until it has been rendered)."""
    note = _note(request, note_pk)
    if not note.pdf:
        raise Http404
    return file_response(note.pdf, content_type="application/pdf", filename=f"{note.payment_reference}.pdf")
