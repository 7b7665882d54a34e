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

from .. import envelopes
from .. import forms as F
from .. import ranking
from ..decisions import release, reserve_list, select_from_reserve, stage_decisions
from ..figures import award, tie_breaks
from ..models import DecisionStatus, ManualChange, SelectionRun
from ..rules import officer_cases, officer_decisions, officer_group
from ..timing import selection_wait_reason
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
    budget = envelopes.find(agency, call, sector)
    figures = envelopes.figures(budget) if budget is not None else None
    envelope = figures.current if figures is not None else None
    threshold = award(call)["total_threshold"]
    context = {
        "call": call, "agency": agency, "sector": sector, "cases": cases, "envelope": envelope,
        "budget": budget, "figures": figures,
        "chart": ranking.chart(cases, envelope, threshold) if envelope else None,
        "run": SelectionRun.objects.filter(agency=agency, call=call, sector=sector).first(),
        "selection_form": F.SelectionForm(), "change_form": F.ManualChangeForm(), "threshold": threshold,
        "preview_form": F.PreviewForm(), "preview": None, "reserve_form": F.ReserveSelectForm(),
        "tie_breaks": tie_breaks(call), "selection_wait": selection_wait_reason(agency, call),
        "changes": ManualChange.objects.filter(case__in=[c.pk for c in cases]).select_related(
            "case__application", "changed_by"),
    }
    if any(c.decision_status == DecisionStatus.RELEASED for c in cases):  # after the release: the reserve list
        context["reserve_left"], context["reserve_rows"] = reserve_list(agency, call, sector)
    context.update(extra)
    return context


def _preview(request, group):
    """The what-if of a GET with ``preview``: computed, never saved. Returns (form, Preview or None)."""
    if "preview" not in request.GET:
        return F.PreviewForm(), None
    form = F.PreviewForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        result = ranking.preview(group.agency, group.call, group.sector, amount=data["amount"],
                                 skip_to_fit=data["skip_to_fit"], reserve_size=data["reserve_size"])
    except EvaluationError as exc:  # no envelope and no amount typed
        form.add_error("amount", str(exc))
        return form, None
    return form, result


@permission_required("evaluation.select", obj=group_for)
def ranking_page(request, call_pk, sector):
    group = request.permission_object
    if request.method == "POST":
        form = F.SelectionForm(request.POST)
        if form.is_valid():
            try:
                ranking.run_selection(group.agency, group.call, sector, request.user,
                                      skip_to_fit=form.cleaned_data["skip_to_fit"],
                                      reserve_size=form.cleaned_data["reserve_size"])
                messages.success(request, _("The applications are ranked and selected within the envelope."))
                return redirect("evaluation:ranking", call_pk=call_pk, sector=sector)
            except EvaluationError as exc:
                form.add_error(None, str(exc))
        return render(request, "evaluation/ranking.html", _context(group, selection_form=form), status=400)
    preview_form, preview = _preview(request, group)
    extra = {"preview_form": preview_form, "preview": preview}
    if preview is not None:  # the run form takes over the settings previewed
        extra["preview_groups"] = [(_("Would be selected"), preview.selected),
                                   (_("Would be on the reserve list"), preview.reserve)]
        extra["selection_form"] = F.SelectionForm(initial={"skip_to_fit": preview.skip_to_fit,
                                                           "reserve_size": preview.reserve_size})
    return render(request, "evaluation/ranking.html", _context(group, **extra),
                  status=400 if preview_form.errors else 200)


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
def select_reserve(request, call_pk, sector, pk):
    """Select an application of the released reserve list now that money is free; its letter is staged."""
    group = request.permission_object
    case = get_object_or_404(officer_cases(request.user).filter(call=group.call, sector=sector), pk=pk)
    form = F.ReserveSelectForm(request.POST)
    if form.is_valid():
        try:
            select_from_reserve(case, request.user, form.cleaned_data["reason"])
            messages.success(request, _("%(number)s is selected from the reserve list; release its letter from the "
                                        "outbox.") % {"number": case})
            return redirect("evaluation:outbox")
        except ValidationError as exc:
            F.add_errors(form, exc)
        except EvaluationError as exc:
            form.add_error(None, str(exc))
    return render(request, "evaluation/ranking.html", _context(group, reserve_form=form, reserve_case=case),
                  status=400)


@permission_required("evaluation.select", obj=group_for)
@require_POST
def stage(request, call_pk, sector):
    group = request.permission_object
    try:
        staged = stage_decisions(group.agency, group.call, sector, request.user)
        messages.success(request, ngettext("%(n)s decision letter is staged in the outbox.",
                                           "%(n)s decision letters are staged in the outbox.", len(staged))
                         % {"n": len(staged)})
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
