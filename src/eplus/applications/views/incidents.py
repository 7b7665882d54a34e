"""Technical-incident reports: the applicant's form, the agency's list and the screenshots."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import forms as F
from ..errors import ApplicationError
from ..incidents import report_incident
from ..models import IncidentReport
from ..rules import agency_incidents
from .common import add_errors, application_for


@permission_required("applications.report_incident", obj=application_for)
def incident(request, pk):
    application = request.permission_object
    form = F.IncidentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = report_incident(request.user, application, form.cleaned_data["description"],
                                     form.cleaned_data["screenshots"])
        except ValidationError as exc:
            add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your report was recorded at %(time)s (Brussels time) and sent to %(agency)s.")
                             % {"time": clock.format_brussels(report.reported_at), "agency": application.agency.code})
            return redirect("applications:incident", application.pk)
    reports = application.incidents.prefetch_related("screenshots")
    return render(request, "applications/incident.html", {"application": application, "form": form,
                                                          "reports": reports})


@permission_required("applications.list_agency_incidents")
def agency_incident_list(request):
    reports = agency_incidents(request.user).select_related("application", "call", "call__action", "agency", "user") \
        .prefetch_related("screenshots")
    return render(request, "applications/agency_incidents.html", {"reports": reports})


def _report(request, report_pk, **_kwargs):
    return get_object_or_404(IncidentReport, pk=report_pk)


@permission_required("applications.view_incident", obj=_report)
def incident_file(request, report_pk, shot_pk):
    shot = get_object_or_404(request.permission_object.screenshots, pk=shot_pk)
    return file_response(shot.file, filename=shot.original_name, content_type=shot.content_type)
