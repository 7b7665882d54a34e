"""Ranking and selection of one agency x call x field, manual changes, staging the decisions, and the
outbox where the officer releases them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required
from eplus.programme.models import Call

from .. import forms as F
from .. import ranking
from ..decisions import release, stage_decisions
from ..figures import award, tie_breaks
from ..models import DecisionStatus, ManualChange, SelectionRun
from ..rules import officer_cases, officer_decisions, officer_group
from ..workflow import EvaluationError


def group_for(request, call_pk, sector, **_kwargs):
    group = officer_group(request.user, get_object_or_404(Call.objects.select_related("action"), pk=call_pk), sector)
    if group is None:
        raise Http404
    return group


def _context(group, **extra):
    agency, call, sector = group.agency, group.call, group.sector
    cases = list(ranking.group_cases(agency, call, sector).select_related(
        "application", "application__applicant", "agency").order_by("rank", "-final_total", "pk"))
    try:
        envelope = ranking.envelope_of(agency, call, sector)
    except EvaluationError:
        envelope = None
    threshold = award(call)["total_threshold"]
    context = {
        "call": call, "agency": agency, "sector": sector, "cases": cases, "envelope": envelope,
        "chart": ranking.chart(cases, envelope, threshold) if envelope else None,
        "run": SelectionRun.objects.filter(agency=agency, call=call, sector=sector).first(),
        "selection_form": F.SelectionForm(), "change_form": F.ManualChangeForm(), "threshold": threshold,
        "tie_breaks": tie_breaks(call),
        "changes": ManualChange.objects.filter(case__in=[c.pk for c in cases]).select_related(
            "case__application", "changed_by"),
    }
    context.update(extra)
    return context


@permission_required("evaluation.select", obj=group_for)
def ranking_page(request, call_pk, sector):
    group = request.permission_object
    if request.method == "POST":
        form = F.SelectionForm(request.POST)
        form.is_valid()
        try:
            ranking.run_selection(group.agency, group.call, sector, request.user,
                                  skip_to_fit=form.cleaned_data.get("skip_to_fit", False))
            messages.success(request, _("The applications are ranked and selected within the envelope."))
            return redirect("evaluation:ranking", call_pk=call_pk, sector=sector)
        except EvaluationError as exc:
            messages.error(request, str(exc))
    return render(request, "evaluation/ranking.html", _context(group))


@permission_required("evaluation.select", obj=group_for)
@require_POST
def manual_change(request, call_pk, sector, pk):
    group = request.permission_object
    case = get_object_or_404(officer_cases(request.user).filter(call=group.call, sector=sector), pk=pk)
    form = F.ManualChangeForm(request.POST)
    if form.is_valid():
        try:
            ranking.manual_change(case, form.cleaned_data["outcome"], form.cleaned_data["reason"], request.user)
            messages.success(request, _("The outcome of %(number)s is changed.") % {"number": case})
            return redirect("evaluation:ranking", call_pk=call_pk, sector=sector)
        except ValidationError as exc:
            F.add_errors(form, exc)
        except EvaluationError as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/ranking.html", _context(group, change_form=form, change_case=case),
                  status=400)


@permission_required("evaluation.select", obj=group_for)
@require_POST
def stage(request, call_pk, sector):
    group = request.permission_object
    try:
        staged = stage_decisions(group.agency, group.call, sector, request.user)
        messages.success(request, _("%(n)s decision letters are staged in the outbox.") % {"n": len(staged)})
        return redirect("evaluation:outbox")
    except EvaluationError as exc:
        messages.error(request, str(exc))
        return redirect("evaluation:ranking", call_pk=call_pk, sector=sector)


@permission_required("evaluation.use_back_office")
def outbox(request):
    decisions = (officer_decisions(request.user)
                 .select_related("case__application", "case__application__applicant").order_by("status", "pk"))
    if request.method == "POST":
        ids = {parse_id(i) for i in request.POST.getlist("decision")} - {None}
        chosen = [d for d in decisions if d.pk in ids and d.status == DecisionStatus.STAGED]
        if not chosen:
            messages.error(request, _("Choose at least one staged decision to release."))
        else:
            released = release(chosen, request.user)
            messages.success(request, ngettext(
                "%(n)s decision is released; its letter is on its way (see Sent e-mails).",
                "%(n)s decisions are released; their letters are on their way (see Sent e-mails).",
                len(released)) % {"n": len(released)})
        return redirect("evaluation:outbox")
    return render(request, "evaluation/outbox.html", {"decisions": list(decisions)})
