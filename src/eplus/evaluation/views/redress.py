"""Redress pages (issue 13, item 9): the applicant asks for a review on the decision page; the agency's staff
list the requests of their agencies and record the outcome of each (rules in ``evaluation.redress``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eplus.core import time as clock
from eplus.core.permissions import permission_required

from .. import redress
from ..forms import add_errors
from ..models import RedressRequest, RedressStatus
from ..rules import officer_redress
from ..workflow import EvaluationError


class ReviewRequestForm(forms.Form):
    grounds = forms.CharField(
        label=gettext_lazy("Grounds for the review"), max_length=redress.GROUNDS_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Say what you consider wrong in the decision (a score, a fact, the procedure) and "
                               "why. The agency reads it and answers with the outcome of its review."))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome of the review"), widget=forms.RadioSelect, choices=[
        (RedressStatus.UPHELD, gettext_lazy("Upheld: the decision stands")),
        (RedressStatus.REVISED, gettext_lazy("Revised: the request is justified; a scored application joins "
                                             "the reserve list"))])
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=redress.REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=gettext_lazy("The applicant receives it by e-mail."))


def review_context(decision, form=None):
    """What the decision page shows about a review: the request (when made), whether one may still be asked,
    its last day, and the form."""
    existing = RedressRequest.objects.filter(decision=decision).select_related("decided_by").first()
    day = redress.last_day(decision)
    return {
        "request": existing,
        "eligible": redress.may_be_reviewed(decision),
        "open": existing is None and redress.is_open(decision),
        "last_day": day,
        "closes_at": clock.format_brussels(redress.closes_at(decision)) if day else "",
        "form": form or ReviewRequestForm(),
    }


def _decision_for(request, application_pk):
    from .decisions import decision_for

    return decision_for(request, application_pk)


# Whoever may see the decision may post; the domain function refuses those who may not ask (a partner, a
# member without the right to submit) with a message on the page, not a bare 404.
@permission_required("evaluation.view_decision", obj=_decision_for)
@require_POST
def request_review(request, application_pk):
    from .decisions import _page  # the decision page, with this form's errors

    item = request.permission_object
    form = ReviewRequestForm(request.POST)
    if form.is_valid():
        try:
            redress.request_review(item, form.cleaned_data["grounds"], request.user)
            messages.success(request, _("Your request for a review is sent to the agency. You will receive its "
                                        "outcome by e-mail."))
            return redirect("evaluation:decision", application_pk=application_pk)
        except ValidationError as exc:
            add_errors(form, exc)
        except EvaluationError as exc:
            form.add_error(None, str(exc))
    return _page(request, item, review_form=form, status=400)


def redress_for(request, pk):
    return get_object_or_404(officer_redress(request.user).select_related(
        "decision__case__application__applicant", "decision__case__agency", "requested_by", "decided_by"), pk=pk)


@permission_required("evaluation.use_back_office")
def redress_list(request):
    rows = list(officer_redress(request.user).select_related(
        "decision__case__application", "decision__case__agency", "requested_by").order_by("-requested_at", "-pk"))
    rows.sort(key=lambda r: not r.is_open)  # open requests first, each part newest first
    return render(request, "evaluation/redress_list.html", {"rows": rows})


def _detail(request, item, form=None, status=200):
    case = item.decision.case
    return render(request, "evaluation/redress.html", {
        "redress": item, "decision": item.decision, "case": case, "application": case.application,
        "last_day": redress.last_day(item.decision), "form": form or OutcomeForm(),
    }, status=status)


@permission_required("evaluation.decide_review", obj=redress_for)
def redress_request(request, pk):
    item = request.permission_object
    if request.method != "POST":
        return _detail(request, item)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            redress.record_outcome(item, form.cleaned_data["outcome"], form.cleaned_data["reason"], request.user)
            messages.success(request, _("The outcome of the review is recorded and the applicant is told by e-mail."))
            return redirect(item)
        except ValidationError as exc:
            add_errors(form, exc)
        except (EvaluationError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
    item.refresh_from_db()
    return _detail(request, item, form=form, status=400)
