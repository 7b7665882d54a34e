"""The agency's validation: the queue of organisations to validate and certifying or rejecting one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required

from .. import workflow
from ..forms import RejectForm
from ..models import Organisation
from ..rules import validatable, validatable_organisation
from ._forms import add_errors


@permission_required("organisations.validation_queue")
def agency_queue(request):
    """Organisations under validation in the countries of the officer's agencies."""
    organisations = validatable(
        Organisation.objects.filter(status=Organisation.Status.UNDER_VALIDATION), request.user
    ).select_related("country").order_by("created_at")
    return render(request, "organisations/agency_queue.html", {"organisations": organisations})


@permission_required("organisations.validate_organisation", obj=validatable_organisation)
def agency_review(request, oid):
    organisation = request.permission_object
    form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "certify":
                workflow.certify(organisation, request.user)
                messages.success(request, _("%(name)s is now certified. Its members have been informed by e-mail.") % {
                    "name": organisation.legal_name})
                return redirect("organisations:agency_queue")
            if request.POST.get("action") == "reject" and form.is_valid():
                workflow.reject(organisation, request.user, form.cleaned_data["reason"])
                messages.success(request, _("%(name)s has been rejected. Its members have been informed by e-mail.") % {
                    "name": organisation.legal_name})
                return redirect("organisations:agency_queue")
        except workflow.TransitionError as exc:
            error = str(exc)
        except ValidationError as exc:
            add_errors(form, exc)
    members = organisation.memberships.select_related("user")
    return render(request, "organisations/agency_review.html", {
        "organisation": organisation, "form": form, "error": error, "members": members,
    })
