"""The agency's register of external experts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required
from eplus.programme.models import Agency
from eplus.programme.scoping import staff_agency_ids

from .. import forms as F
from ..experts import register_expert
from ..models import ExpertProfile


@permission_required("evaluation.use_back_office")
def experts(request):
    agency_ids = staff_agency_ids(request.user)
    form = F.ExpertForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile = register_expert(Agency.objects.filter(pk__in=agency_ids).first(), email=data["email"],
                                      first_name=data["first_name"], last_name=data["last_name"],
                                      languages=data["languages"].split(","), sectors=data["sectors"],
                                      by=request.user)
            if profile.welcome_sent:
                messages.success(request, _("The expert is registered and has been sent an e-mail: a new account "
                                            "gets a link to choose a password. Experts set up two-factor "
                                            "authentication at their first log-in."))
            else:
                messages.success(request, _("The expert was already registered: their languages and fields are "
                                            "updated. No e-mail was sent."))
            return redirect("evaluation:experts")
        except ValidationError as exc:
            F.add_errors(form, exc)
    profiles = (ExpertProfile.objects.filter(agency_id__in=agency_ids).select_related("user")
                .annotate(n=Count("user__assignments")))
    return render(request, "evaluation/experts.html", {"form": form, "profiles": profiles},
                  status=400 if form.errors else 200)
