import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eplus.core.audit import acting_as
from eplus.core.input import FORBIDDEN, first_forbidden


class AuditActorMiddleware:
    """Makes the request's user the actor of every audit event written while serving it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        with acting_as(user):
            return self.get_response(request)


class RefuseControlCharactersMiddleware:
    """Refuse a request whose address, query string, form fields or JSON body hold a character no input may
    hold (eplus.core.input) — with a clear 400 answer naming the field, before the view, a form or a query
    sees it. Runs as the view is chosen: the form fields are then already parsed for the CSRF check, except
    for the views that set their own upload handlers first (csrf_exempt, e.g. the 100 MB result files): their
    multipart bodies are left to them, and their text fields go through Django's form fields, which refuse
    NUL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        found = first_forbidden(self._values(request, streams_uploads=getattr(view_func, "csrf_exempt", False)))
        return self._refuse(request, *found) if found else None

    @staticmethod
    def _values(request, streams_uploads):
        yield "", request.path_info
        yield from ((key, key) for key in request.GET)
        yield from ((key, value) for key in request.GET for value in request.GET.getlist(key))
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if request.content_type == "application/json":
            try:
                yield "", json.loads(request.body or b"null")
            except (ValueError, RequestDataTooBig):
                return  # not JSON, or too big: the view answers that itself
        elif (request.content_type == "application/x-www-form-urlencoded"
              or request.content_type == "multipart/form-data" and not streams_uploads):
            yield from ((key, key) for key in request.POST)
            yield from ((key, value) for key in request.POST for value in request.POST.getlist(key))

    @staticmethod
    def _refuse(request, name, character):
        name = FORBIDDEN.sub("\ufffd", name)  # the name itself may hold the character
        if name:
            message = _("The field “%(field)s” contains an invisible control character (%(character)s) that cannot "
                        "be stored. Remove it and send again.") % {"field": name, "character": character}
        else:
            message = _("What you sent contains an invisible control character (%(character)s) that cannot be "
                        "stored. Remove it and send again.") % {"character": character}
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return render(request, "core/refused_input.html", {"message": message}, status=400)
