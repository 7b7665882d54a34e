"""Budget envelopes in the workspace: the list of the user's agencies' envelopes with what each holds, has
committed and has left, and the movements between them; administrators add and change envelopes and move
money between them, officers read. Another agency's envelope is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.money import format_eur
from eplus.core.permissions import permission_required
from eplus.programme.models import Agency, Call

from .. import envelopes as domain
from .. import forms as F
from ..models import EnvelopeMovement
from ..rules import admin_agency_ids, officer_envelopes
from ..workflow import EvaluationError

ORDER = ("-call__year", "call__action__code", "call__round", "sector", "agency__code")


def _listed(user):
    return officer_envelopes(user).select_related("agency", "call__action").order_by(*ORDER)


def _movements(user, envelope=None):
    queryset = EnvelopeMovement.objects.filter(source__in=officer_envelopes(user))
    if envelope is not None:
        queryset = queryset.filter(Q(source=envelope) | Q(target=envelope))
    return queryset.select_related("source__agency", "source__call__action", "target__agency",
                                   "target__call__action", "moved_by")


def _attempt(form, change, *args, **kwargs):
    """Run the domain's ``change(*args, **kwargs)`` and return what it made (an envelope or a movement), or
    None when it refused: its ValidationError or EvaluationError becomes the errors of ``form``."""
    try:
        return change(*args, **kwargs)
    except ValidationError as exc:
        F.add_errors(form, exc)
    except EvaluationError as exc:
        form.add_error(None, str(exc))
    return None


def envelope_for(request, pk):
    return get_object_or_404(_listed(request.user), pk=pk)


def _admin_envelopes(user):
    return _listed(user).filter(agency_id__in=admin_agency_ids(user))


@permission_required("evaluation.use_back_office")
def envelope_list(request):
    items = list(_listed(request.user))
    numbers = domain.figures_of(items)
    admin_ids = admin_agency_ids(request.user)
    rows = [(e, numbers[e.pk], e.agency_id in admin_ids) for e in items]
    return render(request, "evaluation/envelopes.html", {
        "rows": rows, "movements": list(_movements(request.user)[:200]), "is_admin": bool(admin_ids),
    })


def _calls(agencies):
    national = any(a.kind == Agency.Kind.NATIONAL for a in agencies)
    managed = Q(action__managing_agency__in=[a.pk for a in agencies])
    if national:
        managed |= Q(action__managing_agency_kind=Agency.Kind.NATIONAL)
    return Call.objects.filter(managed, action__active=True).select_related("action").order_by(
        "-year", "action__code", "round")


@permission_required("evaluation.manage_envelopes")
def envelope_new(request):
    agencies = list(Agency.objects.filter(pk__in=admin_agency_ids(request.user)).order_by("code"))
    calls = list(_calls(agencies))
    initial = {"call": parse_id(request.GET.get("call")), "sector": request.GET.get("sector", "")}
    form = F.EnvelopeForm(request.POST if request.method == "POST" else None, agencies=agencies, calls=calls, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            agency = next(a for a in agencies if a.pk == data["agency"])
            call = next(c for c in calls if c.pk == data["call"])
            existing = domain.find(agency, call, data["sector"])
            if existing is not None:
                form.add_error(None, _("%(envelope)s already has an envelope; change its amount on its page.")
                               % {"envelope": existing})
            else:
                envelope = _attempt(form, domain.set_envelope, agency, call, data["sector"], data["amount"],
                                    request.user, reason=data["reason"])
                if envelope is not None:
                    messages.success(request, _("The envelope %(envelope)s is set to %(amount)s.")
                                     % {"envelope": envelope, "amount": format_eur(envelope.amount)})
                    return redirect("evaluation:envelope", pk=envelope.pk)
        status = 400
    return render(request, "evaluation/envelope_new.html", {"form": form}, status=status)


@permission_required("evaluation.view_envelope", obj=envelope_for)
def envelope_detail(request, pk):
    envelope = request.permission_object
    may_change = request.user.has_perm("evaluation.change_envelope", envelope)
    form = F.EnvelopeChangeForm(initial={"amount": envelope.amount})
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = F.EnvelopeChangeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            changed = _attempt(form, domain.set_envelope, envelope.agency, envelope.call, envelope.sector,
                               data["amount"], request.user, reason=data["reason"])
            if changed is not None:
                messages.success(request, _("The amount of %(envelope)s is changed.") % {"envelope": envelope})
                return redirect("evaluation:envelope", pk=envelope.pk)
        status = 400
    return render(request, "evaluation/envelope.html", {
        "envelope": envelope, "figures": domain.figures(envelope), "may_change": may_change, "form": form,
        "movements": list(_movements(request.user, envelope)),
    }, status=status)


@permission_required("evaluation.manage_envelopes")
def envelope_transfer(request):
    choices = list(_admin_envelopes(request.user))
    initial = {"source": parse_id(request.GET.get("source")), "target": parse_id(request.GET.get("target"))}
    form = F.TransferForm(request.POST if request.method == "POST" else None, envelopes=choices, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            by_pk = {e.pk: e for e in choices}
            movement = _attempt(form, domain.transfer, by_pk[data["source"]], by_pk[data["target"]], data["amount"],
                                data["reason"], request.user)
            if movement is not None:
                messages.success(request, _("%(amount)s moved from %(source)s to %(target)s.") % {
                    "amount": format_eur(movement.amount), "source": movement.source, "target": movement.target})
                return redirect("evaluation:envelopes")
        status = 400
    numbers = domain.figures_of(choices)
    return render(request, "evaluation/envelope_transfer.html", {
        "form": form, "rows": [(e, numbers[e.pk]) for e in choices]}, status=status)
