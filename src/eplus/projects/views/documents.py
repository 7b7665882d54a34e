"""Documents of a project for its people and its agency: the declaration on honour, the payment letters
(rendered when the payment became due), the payment exports, the auditors' dossier (built on a POST,
downloaded as stored) and the iCal feed of a user's deadlines. GET handlers only serve what is stored."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from eplus.accounts.decorators import sensitive_action
from eplus.core.exports import XLSX_CONTENT_TYPE
from eplus.core.files import file_response
from eplus.core.permissions import permission_required, public

from ..calendar import ical_feed, new_calendar_token
from ..dossier import audience_of
from ..exports import payments_csv, payments_xlsx
from ..models import CalendarToken, ProjectDossier
from ..payments import LETTER_STATUSES
from ..queries import notes_for_export, project_notes
from ..rules import agency_debit_notes, agency_payments, visible_projects
from ..tasks import build_dossier
from .loaders import documents_project


def attachment(content, name, content_type):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _report(request, report_pk):
    return get_object_or_404(request.permission_object.reports, pk=report_pk)


def _stored(field, name, content_type):
    """A report's stored file under the name it was uploaded with (404 while there is none)."""
    if not field:
        raise Http404
    return file_response(field, filename=name, content_type=content_type or "application/octet-stream")


@permission_required("projects.view_documents", obj=documents_project)
def report_declaration(request, pk, report_pk):
    report = _report(request, report_pk)
    return _stored(report.declaration, report.declaration_name, report.declaration_type)


@permission_required("projects.view_documents", obj=documents_project)
def version_declaration(request, pk, report_pk, number):
    """The declaration on honour a submitted version came with (earlier ones stay readable)."""
    version = get_object_or_404(_report(request, report_pk).versions, number=number)
    return _stored(version.declaration_file, version.declaration_name, version.declaration_type)


@permission_required("projects.view_documents", obj=documents_project)
def report_document(request, pk, report_pk, document_pk):
    """A document the agency asked for, as the beneficiary attached it."""
    document = get_object_or_404(_report(request, report_pk).documents, pk=document_pk)
    return _stored(document.file, document.name, document.content_type)


@permission_required("projects.view_documents", obj=documents_project)
def payment_letter(request, pk, payment_pk):
    """The stored letter of a due or paid payment (404 until it has been rendered)."""
    project = request.permission_object
    payment = get_object_or_404(project.payments, pk=payment_pk)
    if payment.status not in LETTER_STATUSES or not payment.letter:
        raise Http404
    return file_response(payment.letter, content_type="application/pdf", filename=f"{project.number}-{payment.kind}.pdf")


@permission_required("projects.view_documents", obj=documents_project)
def payments_export(request, pk):
    project = request.permission_object
    return attachment(payments_csv(project.payments.select_related("project"), project_notes(project)),
                      f"{project.number}-payments.csv", "text/csv; charset=utf-8")


@permission_required("projects.view_documents", obj=documents_project)
def payments_export_xlsx(request, pk):
    project = request.permission_object
    return attachment(payments_xlsx(project.payments.select_related("project"), project_notes(project)),
                      f"{project.number}-payments.xlsx", XLSX_CONTENT_TYPE)


def _agency_payments(request):
    return agency_payments(request.user).select_related("project").order_by("project__number", "sequence")


@permission_required("projects.view_agency_projects")
def agency_payments_export(request):
    return attachment(payments_csv(_agency_payments(request), notes_for_export(agency_debit_notes(request.user))), "payments.csv",
                      "text/csv; charset=utf-8")


@permission_required("projects.view_agency_projects")
def agency_payments_export_xlsx(request):
    return attachment(payments_xlsx(_agency_payments(request), notes_for_export(agency_debit_notes(request.user))), "payments.xlsx",
                      XLSX_CONTENT_TYPE)


@permission_required("projects.download_dossier", obj=documents_project)
def dossier(request, pk):
    """The auditors' ZIP, for editors and the agency, after a recent re-authentication: a POST builds it
    (a task), a GET downloads the one built last."""
    return _dossier(request, request.permission_object)


@sensitive_action
def _dossier(request, project):
    audience = audience_of(request.user, project)  # the agency's dossier, or the beneficiary's (shared only)
    if request.method == "POST":
        build_dossier.enqueue(project.pk, request.user.pk, str(audience))
        messages.success(request, _("The project dossier is being prepared; download it from the project page "
                                    "once it is ready."))
        if request.user.has_perm("projects.manage_project", project):
            return redirect("projects:agency_project", project.pk)
        return redirect("projects:detail", project.pk)
    stored = ProjectDossier.objects.filter(project=project, audience=audience).first()
    if stored is None:
        raise Http404
    return file_response(stored.file, filename=f"{project.number}-dossier.zip", content_type="application/zip")


@permission_required("projects.list_projects")
def calendar(request):
    if request.method == "POST":
        new_calendar_token(request.user)
        messages.success(request, _("Your calendar address has been created; any earlier address no longer works."))
    return redirect("projects:mine")


@public
def ical(request, token):
    """The deadlines of the token's owner: the secret address is the permission."""
    entry = CalendarToken.objects.filter(token=token).select_related("user").first()
    if entry is None or not entry.user.is_active:
        raise Http404
    projects = visible_projects(entry.user).prefetch_related("reports")
    response = HttpResponse(ical_feed(entry.user, projects), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response
