"""The applicant's list, a new application, the task list of one application and its history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core import time as clock
from eplus.core.permissions import permission_required
from eplus.organisations.queries import memberships_for
from eplus.programme.models import Call
from eplus.programme.services import open_calls

from .. import forms as F
from .. import outcomes
from ..creation import create_application
from ..models import SectionVersion
from ..queries import current_submission
from ..rules import visible_applications
from ..statuses import section_rows
from .common import add_errors, application_for, page_context, remaining


@permission_required("applications.list_applications")
def mine(request):
    applications = list(visible_applications(request.user)
                        .select_related("call", "action", "agency", "applicant")
                        .order_by("call__deadline", "-updated_at"))
    now = clock.now()
    rows = [(a, remaining(a.call.deadline, now), now < a.call.deadline) for a in applications]
    return render(request, "applications/mine.html", {"rows": rows})


def _initial_choice(call_pk, calls, organisations):
    """The create form's initial values: the call chosen on the home page ("Start an application", ?call=pk;
    preselected when it has one field, else the first of its fields) and the only organisation, if one."""
    initial = {}
    if len(organisations) == 1:
        initial["organisation"] = organisations[0].oid
    call = next((c for c in calls if str(c.pk) == str(call_pk or "")), None)
    if call is not None:
        initial["call"] = f"{call.pk}:{(call.action.sectors or [''])[0]}"
    return initial


@permission_required("applications.create_application")
def create(request):
    organisations = [m.organisation for m in memberships_for(request.user)]
    calls = list(open_calls(clock.now()))
    form = F.CreateForm(request.POST or None, organisations=organisations, calls=calls,
                        initial=_initial_choice(request.GET.get("call"), calls, organisations))
    if request.method == "POST" and form.is_valid():
        organisation = next(o for o in organisations if o.oid == form.cleaned_data["organisation"])
        call_pk, _sep, sector = form.cleaned_data["call"].partition(":")
        call = get_object_or_404(Call.objects.select_related("action", "action__managing_agency"), pk=call_pk)
        try:
            application = create_application(request.user, organisation, call, sector or None)
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        else:
            messages.success(request, _("Your application was created. Fill in the sections in any order."))
            return redirect("applications:detail", application.pk)
    return render(request, "applications/create.html", {"form": form, "organisations": organisations})


@permission_required("applications.view_application", obj=application_for)
def detail(request, pk):
    """The task list. Only reads: the statuses shown are computed from the verdict (the stored ones are
    brought up to date where they change, see ``statuses``)."""
    application = request.permission_object
    context = page_context(application)
    rows = [(key, F.SECTION_TITLES[key], status, problems)
            for key, status, problems in section_rows(application, context["verdict"])]
    context.update(rows=rows, submission=current_submission(application),
                   decision_released=outcomes.decision_released(application),
                   stage=None if context["is_open"] else outcomes.assessment_stage(application))
    return render(request, "applications/detail.html", context)


@permission_required("applications.view_application", obj=application_for)
def history(request, pk):
    application = request.permission_object
    versions = (SectionVersion.objects.filter(section__application=application)
                .select_related("section", "saved_by").order_by("-saved_at", "-pk"))
    submissions = application.submissions.select_related("submitted_by")
    return render(request, "applications/history.html", {
        "application": application, "versions": versions, "submissions": submissions, "titles": F.SECTION_TITLES})
