"""Open-data pages: the CC BY 4.0 notice, the CSV and XLSX exports (the search page's query and
filters apply) and the DCAT-AP catalogue. Everything comes from the public projection."""

import json

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from eplus.core.permissions import public

from . import opendata
from .forms import SearchForm


def _search_input(request):
    form = SearchForm(request.GET or None)
    if not form.is_bound or not form.is_valid():
        return "", {}
    return form.cleaned_data.get("q", "") or "", form.filters()


def _site(request):
    return request.build_absolute_uri("/").rstrip("/")


@public
def opendata_page(request):
    query_string = request.GET.urlencode()
    return render(request, "results/opendata.html", {
        "title": _("Open data"), "query_string": query_string, "license_url": opendata.LICENSE_URL,
    })


@public
def projects_csv(request):
    query, filters = _search_input(request)
    response = StreamingHttpResponse(opendata.csv_chunks(query, filters, _site(request)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="erasmus-plus-projects.csv"'
    response["Link"] = f'<{opendata.LICENSE_URL}>; rel="license"'
    return response


@public
def projects_xlsx(request):
    query, filters = _search_input(request)
    handle = opendata.xlsx_tempfile(query, filters, _site(request))
    response = FileResponse(handle, as_attachment=True, filename="erasmus-plus-projects.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Link"] = f'<{opendata.LICENSE_URL}>; rel="license"'
    return response


@public
def catalogue(request):
    data = opendata.catalogue(_site(request) if request else settings.SITE_URL, opendata.last_modified())
    return HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/ld+json")
