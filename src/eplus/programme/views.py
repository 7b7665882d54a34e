from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required, public

from . import verification
from .forms import FigureDecisionForm
from .models import Call, FigureCheck
from .services import open_calls


@public
def calls(request):
    """Public list of calls: open ones (soonest deadline first), then recent closed ones."""
    now = timezone.now()
    closed = Call.objects.filter(deadline__lte=now).select_related("action").order_by("-deadline", "action__code")[:50]
    return render(request, "programme/calls.html", {"open_calls": list(open_calls(now)), "closed_calls": list(closed)})


@permission_required("programme.verify_figures")
def figures(request):
    """Every figure the data marks "verify", with its value and who confirmed or corrected it when."""
    rows = verification.figures_to_verify()
    return render(request, "programme/figures.html", {
        "rows": rows, "open_count": sum(1 for row in rows if not row.confirmed)})


def _add_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@permission_required("programme.verify_figures")
def figure(request, call_id, key):
    """Confirm or correct one figure (POST); the page shows its value, its source and its history."""
    call = get_object_or_404(Call.objects.select_related("action"), pk=call_id)
    try:
        row = verification.figure_for(call, key)
    except verification.UnknownFigure:
        raise Http404 from None
    form = FigureDecisionForm(request.POST or None, initial={"value": row.value_text})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["outcome"] == "confirm":
                verification.confirm_figure(call, key, request.user, form.cleaned_data["reason"])
                messages.success(request, _("You confirmed %(figure)s of %(call)s.") % {"figure": key, "call": call})
            else:
                value = verification.parse_value(form.cleaned_data["value"])
                verification.correct_figure(call, key, value, request.user, form.cleaned_data["reason"])
                messages.success(request, _("You corrected %(figure)s of %(call)s; the new value is used from now on.")
                                 % {"figure": key, "call": call})
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("programme:figures")
    history = FigureCheck.objects.filter(call=call, figure=key).select_related("decided_by")
    return render(request, "programme/figure.html", {"row": row, "form": form, "history": history})
