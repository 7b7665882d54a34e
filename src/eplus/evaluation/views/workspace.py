"""The officer's workspace: the list of the agency's cases with filters, its CSV/XLSX export, and the
automatic assignment of experts. Only reads on GET: the cases are opened by the sweep."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from eplus.core import time as clock
from eplus.core.exports import XLSX_CONTENT_TYPE, XlsxSheet, csv_stream
from eplus.core.input import parse_id
from eplus.core.permissions import permission_required
from eplus.programme.models import Agency, Call
from eplus.programme.scoping import staff_agency_ids

from .. import forms as F
from ..cases import without_two_experts
from ..experts import auto_assign as assign_automatically
from ..models import CaseState, DecisionStatus
from ..queries import calls_open_for_submissions, export_rows, workspace_cases
from ..rules import officer_cases, officer_decisions


def _filtered(request):
    base = officer_cases(request.user)
    calls = Call.objects.filter(pk__in=base.values("call_id")).select_related("action").order_by("-deadline")
    actions = sorted(set(base.values_list("application__action__code", flat=True)))
    form = F.FilterForm(request.GET or None, calls=calls, actions=actions)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = base
    if filters.get("call"):
        queryset = queryset.filter(call_id=filters["call"])
    if filters.get("experts") == F.EXPERTS_MISSING:
        queryset = without_two_experts(queryset, clock.now())
    cases = workspace_cases(queryset, action=filters.get("action"), sector=filters.get("sector"),
                            status=filters.get("status"), formal=filters.get("formal"), outcome=filters.get("outcome"))
    return form, cases, base


@permission_required("evaluation.use_back_office")
def workspace(request):
    form, cases, base = _filtered(request)
    groups = (base.values("call_id", "call__year", "call__action__code", "call__round", "call__provisional", "sector")
              .annotate(n=Count("pk")).order_by("-call__year", "call__action__code", "sector"))
    return render(request, "evaluation/workspace.html", {
        "form": form, "cases": list(cases), "groups": list(groups), "query": request.GET.urlencode(),
        "staged": officer_decisions(request.user).filter(status=DecisionStatus.STAGED).count(),
        "open_calls": calls_open_for_submissions(staff_agency_ids(request.user), clock.now()),
    })


def _xlsx(rows):
    sheet = XlsxSheet(_("Applications"))
    for row in rows:
        sheet.append(row)
    response = HttpResponse(sheet.to_bytes(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="applications.xlsx"'
    return response


@permission_required("evaluation.use_back_office")
def export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, cases, _base = _filtered(request)
    rows = export_rows(cases.iterator(chunk_size=500))
    if fmt == "xlsx":
        return _xlsx(rows)
    response = StreamingHttpResponse(csv_stream(rows, rows_per_chunk=100), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="applications.csv"'
    return response


@permission_required("evaluation.use_back_office")
@require_POST
def auto_assign(request):
    call_id = parse_id(request.POST.get("call"))
    cases = officer_cases(request.user).filter(state=CaseState.ASSESSMENT).select_related("application")
    if call_id is not None:
        cases = cases.filter(call_id=call_id)
    made, unfilled = [], []
    for agency in Agency.objects.filter(pk__in=staff_agency_ids(request.user)):
        m, u = assign_automatically([c for c in cases if c.agency_id == agency.pk], agency, request.user)
        made += m
        unfilled += u
    messages.success(request, ngettext("%(n)s expert assignment was made.", "%(n)s expert assignments were made.",
                                       len(made)) % {"n": len(made)})
    if unfilled:
        messages.warning(request, _("No suitable expert is free for: %(list)s. Register more experts.")
                         % {"list": ", ".join(unfilled)})
    return redirect("evaluation:workspace")
