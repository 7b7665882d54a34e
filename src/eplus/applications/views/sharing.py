"""Sharing an application with named people of its organisations."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.permissions import permission_required

from .. import forms as F
from ..models import ApplicationAccess
from ..sharing import share as share_application
from ..sharing import unshare
from .common import add_errors, application_for


@permission_required("applications.view_application", obj=application_for)
def share(request, pk):
    application = request.permission_object
    form = F.ShareForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("applications.share_application", application):
            raise Http404
        if request.POST.get("remove"):
            access = get_object_or_404(ApplicationAccess, application=application, pk=request.POST["remove"])
            unshare(application, access, request.user)
            messages.success(request, _("Access was removed."))
            return redirect("applications:share", application.pk)
        if form.is_valid() and _share(request, application, form):
            return redirect("applications:share", application.pk)
    accesses = application.accesses.select_related("user")
    return render(request, "applications/share.html", {"application": application, "form": form,
                                                       "accesses": accesses})


def _share(request, application, form):
    """Share with the person of the form's e-mail; True when done, else the errors are on the form."""
    user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
    if user is None:
        form.add_error("email", _("Nobody has an account with this e-mail address; ask the person to sign up first."))
        return False
    try:
        share_application(application, user, form.cleaned_data["level"], request.user)
    except ValidationError as exc:
        add_errors(form, exc)
        return False
    messages.success(request, _("The application is now shared with %(email)s.") % {"email": user.email})
    return True
