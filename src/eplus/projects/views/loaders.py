"""How the views find the object their permission is about: always in the queryset the user may list
(:mod:`eplus.projects.rules`), so another organisation's or agency's object is a 404."""

from django.shortcuts import get_object_or_404

from ..rules import agency_projects, agency_reports, documents_projects, visible_projects


def my_project(request, pk, **_kwargs):
    project = get_object_or_404(visible_projects(request.user).select_related(
        "coordinator", "call", "agency", "application"), pk=pk)
    return project


def documents_project(request, pk, **_kwargs):
    return get_object_or_404(documents_projects(request.user).select_related("coordinator", "call", "agency"), pk=pk)


def agency_project(request, pk, **_kwargs):
    return get_object_or_404(agency_projects(request.user).select_related("coordinator", "call", "agency"), pk=pk)


def agency_report(request, report_pk, **_kwargs):
    return get_object_or_404(agency_reports(request.user).select_related("project", "project__call"), pk=report_pk)
