"""The similarity check of a call's deadline and the officer's conclusion on each suspicious pair."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required

from .. import forms as F
from ..findings import decide_finding, side_by_side, start_similarity_run
from ..models import SimilarityRun
from ..rules import officer_calls, officer_findings


def call_for(request, call_pk):
    return get_object_or_404(officer_calls(request.user), pk=call_pk)


def finding_for(request, pk):
    return get_object_or_404(officer_findings(request.user).select_related(
        "case_a__submission", "case_b__submission"), pk=pk)


@permission_required("evaluation.check_similarity", obj=call_for)
def similarity(request, call_pk):
    call = request.permission_object
    if request.method == "POST":
        _run, started = start_similarity_run(call.deadline, request.user)
        if started:
            messages.success(request, _("The check has started. This page shows when it is done."))
        else:
            messages.info(request, _("The check is already running; this page shows when it is done."))
        return redirect("evaluation:similarity", call_pk=call.pk)
    run = SimilarityRun.objects.filter(deadline=call.deadline).first()
    if request.GET.get("status") and request.headers.get("HX-Request"):
        response = render(request, "evaluation/_similarity_status.html", {"call": call, "run": run})
        if run is None or not run.is_active:
            response["HX-Refresh"] = "true"  # done: reload the page once, with the findings
        return response
    findings = officer_findings(request.user).filter(deadline=call.deadline)
    return render(request, "evaluation/similarity.html", {"call": call, "findings": findings, "run": run})


@permission_required("evaluation.decide_finding", obj=finding_for)
def finding(request, pk):
    item = request.permission_object
    form = F.FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide_finding(item, form.cleaned_data["status"], form.cleaned_data["reason"], request.user)
            messages.success(request, _("Your conclusion on this pair is recorded."))
            return redirect("evaluation:similarity", call_pk=item.case_a.call_id)
        except ValidationError as exc:
            F.add_errors(form, exc)
    pieces_a, pieces_b, passages = side_by_side(item)
    # Another agency's application is shown by its number only: its text is needed to judge the pair.
    return render(request, "evaluation/finding.html", {
        "finding": item, "form": form, "pieces_a": pieces_a, "pieces_b": pieces_b, "passages": passages,
        "percent": int(item.jaccard * 100)}, status=400 if form.errors else 200)
