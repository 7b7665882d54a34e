"""Sharing an application with named people of its organisations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.core.input import parse_id
from eplus.core.permissions import permission_required
from eplus.core.ratelimit import retry_after, too_many_requests

from .. import forms as F
from ..models import ApplicationAccess, ShareInvitation
from ..sharing import accept_invitation, invite, unshare, withdraw_invitation
from .common import add_errors, application_for


@permission_required("applications.view_application", obj=application_for)
def share(request, pk):
    application = request.permission_object
    form = F.ShareForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("applications.share_application", application):
            raise Http404
        if request.POST.get("remove"):
            access = get_object_or_404(ApplicationAccess, application=application, pk=parse_id(request.POST["remove"]))
            unshare(application, access, request.user)
            messages.success(request, _("Access was removed."))
            return redirect("applications:share", application.pk)
        if request.POST.get("withdraw"):
            invitation = get_object_or_404(ShareInvitation, application=application, pk=parse_id(request.POST["withdraw"]))
            withdraw_invitation(application, invitation, request.user)
            messages.success(request, _("The invitation was withdrawn."))
            return redirect("applications:share", application.pk)
        if form.is_valid():
            wait = retry_after(request, "invite")
            if wait is not None:
                return too_many_requests(request, wait)
            if _invite(request, application, form):
                return redirect("applications:share", application.pk)
    return render(request, "applications/share.html", {
        "application": application, "form": form, "accesses": application.accesses.select_related("user"),
        "invitations": application.invitations.filter(accepted_at__isnull=True)})


def _invite(request, application, form):
    """Invite the form's address; True when sent, else the errors are on the form."""
    email = form.cleaned_data["email"]
    try:
        invite(application, email, form.cleaned_data["level"], request.user)
    except ValidationError as exc:
        add_errors(form, exc)
        return False
    messages.success(request, _(
        "An invitation was sent to %(email)s. The person gets access when they follow its link, signed in with "
        "this address and acting for an organisation of this application.") % {"email": email})
    return True


@permission_required("applications.open_invitation",
                     obj=lambda request, token: get_object_or_404(ShareInvitation, token=token))
def invitation(request, token):
    invitation = request.permission_object
    problem = None
    if request.method == "POST":
        try:
            accept_invitation(invitation, request.user)
        except ValidationError as exc:
            problem = " ".join(exc.messages)
        else:
            messages.success(request, _("You now have access to this application."))
            return redirect(invitation.application.get_absolute_url())
    return render(request, "applications/invitation.html", {"invitation": invitation, "problem": problem},
                  status=400 if problem else 200)
