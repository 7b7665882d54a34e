"""Result files: the beneficiary's result form with its upload, adding and deleting files, and the
download of a file (public files for everyone; the others for the card's managers and agency staff).

Uploads stream to disk with the 100 MB limit: the upload handler is set before the request body is
read, so the outer views are CSRF-exempt and the inner ones check the token afterwards.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import editing
from ..forms import FileForm, ResultForm, ResultWithFileForm
from ..models import ResultFile
from ..rules import downloadable_file, editable_card, is_public_file
from ..uploads import LimitedUploadHandler, too_large_message
from .editing import locked_redirect, store_upload


@permission_required("results.download_file", obj=downloadable_file, login=False)
def download(request, file_id):
    record = request.permission_object
    return file_response(record.file, filename=record.original_name, content_type=record.content_type,
                         public=is_public_file(None, record))


def _take_upload_handlers(request):
    """Stream uploads to disk with the 100 MB limit (must run before request.POST is read)."""
    if request.method == "POST":
        request.upload_handlers = [LimitedUploadHandler(request)]


def _add_too_large_errors(request, form, field):
    for name in getattr(request, "results_too_large", None) or []:
        form.add_error(field, too_large_message(name))


def _result_initial(result):
    return {"title": result.title, "result_type": result.result_type, "description_en": result.description_en,
            "link": result.link, "public": result.public}


def _save_result(request, card, existing, form):
    """Save the result and, in the same transaction, its file (raises Locked, ValidationError)."""
    data = form.cleaned_data
    upload = data.get("file")
    fields = {"result": existing, "title": data["title"], "result_type": data["result_type"],
              "description_en": data["description_en"], "link": data["link"], "public_flag": data["public"]}
    if upload is None:
        editing.save_result(card, request.user, **fields)
    else:
        editing.save_result_with_file(card, request.user, upload, **fields)


def _result_form_post(request, card, existing, form):
    """The POST of the result form: a response when done, None when the form shows its errors."""
    file_field = "file" if "file" in form.fields else None
    try:
        if request.POST.get("action") == "delete" and existing:
            editing.delete_result(existing, request.user)
            messages.success(request, _("The result is deleted."))
            return redirect("results:edit", card.identifier)
        _add_too_large_errors(request, form, file_field)
        if not form.is_valid():
            return None
        _save_result(request, card, existing, form)
    except editing.Locked as exc:
        return locked_redirect(request, card, exc)
    except ValidationError as exc:
        form.add_error(file_field, exc.messages)
        return None
    messages.success(request, _("The result is saved."))
    return redirect("results:edit", card.identifier)


@csrf_protect
def _result_form(request, identifier, result_id):
    card = request.permission_object
    existing = get_object_or_404(card.results, pk=result_id) if result_id else None
    form_class = ResultForm if existing else ResultWithFileForm
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        response = _result_form_post(request, card, existing, form)
        if response is not None:
            return response
        status = 400
    else:
        status = 200
        form = form_class(initial=_result_initial(existing) if existing else {"public": True})
    return render(request, "results/result_form.html", {
        "card": card, "form": form, "result": existing, "file_form": FileForm(),
        "files": list(existing.files.all()) if existing else [],
    }, status=status)


@csrf_exempt
@permission_required("results.edit_card", obj=editable_card)
def result_form(request, identifier, result_id=None):
    _take_upload_handlers(request)
    return _result_form(request, identifier, result_id)


@csrf_protect
@require_POST
def _add_file(request, identifier, result_id):
    card = request.permission_object
    result = get_object_or_404(card.results, pk=result_id)
    form = FileForm(request.POST, request.FILES)
    _add_too_large_errors(request, form, "file")
    done = store_upload(request, card, form, "file", lambda upload: editing.add_result_file(
        result, upload, upload.name, request.user), _("The file is added."), "results:result_edit", result.pk)
    if done is not None:
        return done
    return render(request, "results/result_form.html", {
        "card": card, "form": ResultForm(initial=_result_initial(result)),
        "result": result, "file_form": form, "files": list(result.files.all())}, status=400)


@csrf_exempt
@permission_required("results.edit_card", obj=editable_card)
def add_file(request, identifier, result_id):
    _take_upload_handlers(request)
    return _add_file(request, identifier, result_id)


@permission_required("results.edit_card", obj=editable_card)
@require_POST
def delete_file(request, identifier, file_id):
    card = request.permission_object
    record = get_object_or_404(ResultFile.objects.filter(result__card=card), pk=file_id)
    try:
        editing.delete_result_file(record, request.user)
    except editing.Locked as exc:
        return locked_redirect(request, card, exc)
    messages.success(request, _("The file is deleted."))
    return redirect("results:result_edit", card.identifier, record.result_id)
