"""Technical-incident reports: the applicant's form, the agency's list and the screenshots."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.core import time as clock
from eplus.core.files import file_response
from eplus.core.permissions import permission_required

from .. import forms as F
from ..errors import ApplicationError
from ..incidents import decide_incident, incident_hours, late_submission_hours, report_incident
from ..models import IncidentReport, IncidentStatus
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
                                                          "reports": reports,
                                                          "incident_hours": incident_hours(application.call)})


@permission_required("applications.list_agency_incidents")
def agency_incident_list(request):
    return _incident_list_page(request)


def _incident_list_page(request, forms=None, status=200):
    reports = list(agency_incidents(request.user).select_related(
        "application", "call", "call__action", "agency", "user", "decided_by").prefetch_related("screenshots"))
    forms = forms or {}
    rows = [(r, forms.get(r.pk) or F.IncidentDecisionForm(prefix=f"r{r.pk}"), late_submission_hours(r.call))
            for r in reports]
    return render(request, "applications/agency_incidents.html", {"rows": rows}, status=status)


def _report(request, report_pk, **_kwargs):
    return get_object_or_404(IncidentReport, pk=report_pk)


@permission_required("applications.decide_incident", obj=_report)
@require_POST
def decide(request, report_pk):
    report = request.permission_object
    form = F.IncidentDecisionForm(request.POST, prefix=f"r{report.pk}")
    if form.is_valid():
        try:
            decided = decide_incident(report, request.user, accept=form.cleaned_data["decision"] == "accept",
                                      reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_errors(form, exc)
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            if decided.status == IncidentStatus.ACCEPTED:
                messages.success(request, _("Report %(number)s is accepted: the applicant may submit until %(until)s "
                                            "(Brussels time) and has been told.") % {
                    "number": decided.pk, "until": clock.format_brussels(decided.late_until)})
            else:
                messages.success(request, _("Report %(number)s is rejected; the applicant has been told.")
                                 % {"number": decided.pk})
            return redirect("applications:agency_incidents")
    return _incident_list_page(request, forms={report.pk: form}, status=400)


@permission_required("applications.view_incident", obj=_report)
def incident_file(request, report_pk, shot_pk):
    shot = get_object_or_404(request.permission_object.screenshots, pk=shot_pk)
    return file_response(shot.file, filename=shot.original_name, content_type=shot.content_type)
