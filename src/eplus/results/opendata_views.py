"""Open-data pages: the CC BY 4.0 notice, the CSV and XLSX exports (the search page's query and
filters apply) and the DCAT-AP catalogue. Everything comes from the public projection.

The whole list (no query, no filter) is the built file (eplus.results.opendata_files); a filtered
download is written while it is sent (streamed CSV; XLSX through a temporary file)."""

import json

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eplus.core.exports import XLSX_CONTENT_TYPE
from eplus.core.permissions import public
from eplus.core.ratelimit import rate_limited
from eplus.core.replica import reads_replica

from . import opendata, opendata_files
from .forms import SearchForm


def _search_input(request):
    form = SearchForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        return "", {}
    return form.cleaned_data.get("q", "") or "", form.filters()


def _site(request):
    return request.build_absolute_uri("/").rstrip("/")


@public
@reads_replica
def opendata_page(request):
    query_string = request.GET.urlencode()
    return render(request, "results/opendata.html", {
        "title": _("Open data"), "query_string": query_string, "license_url": opendata.LICENSE_URL,
    })


def _built_file(request, format, query, filters):
    if query or filters:
        return None
    built = opendata_files.current_file(format)
    if built is None:
        return None
    try:
        return opendata_files.file_answer(request, built)
    except FileNotFoundError:  # the stored file went missing: computed while sent, and built again
        opendata_files.forget(built)
        return None


@public
@rate_limited("opendata")
@reads_replica
def projects_csv(request):
    query, filters = _search_input(request)
    built = _built_file(request, "csv", query, filters)
    if built is not None:
        return built
    response = StreamingHttpResponse(opendata.csv_chunks(query, filters, _site(request)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="erasmus-plus-projects.csv"'
    response["Link"] = f'<{opendata.LICENSE_URL}>; rel="license"'
    return response


@public
@rate_limited("opendata")
@reads_replica
def projects_xlsx(request):
    query, filters = _search_input(request)
    built = _built_file(request, "xlsx", query, filters)
    if built is not None:
        return built
    handle = opendata.xlsx_tempfile(query, filters, _site(request))
    response = FileResponse(handle, as_attachment=True, filename="erasmus-plus-projects.xlsx",
                            content_type=XLSX_CONTENT_TYPE)
    response["Link"] = f'<{opendata.LICENSE_URL}>; rel="license"'
    return response


@public
@reads_replica
def catalogue(request):
    data = opendata.catalogue(_site(request) if request else settings.SITE_URL, opendata.last_modified())
    return HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/ld+json")
