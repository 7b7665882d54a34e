"""A person's organisations, and the members of one: invitations, accepting them, roles, removal."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from eplus.accounts.decorators import sensitive_action
from eplus.core.permissions import permission_required

from ..forms import InviteForm, RoleForm
from ..members import (
    InvitationError, MembershipError, accept_invitation as accept, change_role, get_invitation, invite_member,
    remove_member,
)
from ..models import Membership
from ..queries import memberships_for
from ..registration import drafts_for
from ..rules import organisation_by_oid
from ._forms import add_errors


@permission_required("organisations.list_own")
def my_organisations(request):
    return render(request, "organisations/mine.html", {
        "memberships": memberships_for(request.user),
        "drafts": drafts_for(request.user),
    })


@permission_required("organisations.manage_members", obj=organisation_by_oid)
def invite(request, oid):
    organisation = request.permission_object
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _raw = invite_member(
                organisation, form.cleaned_data["email"], form.cleaned_data["role"], request.user
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("An invitation has been sent to %(email)s.") % {"email": invitation.email})
            return redirect(organisation.get_absolute_url())
    return render(request, "organisations/invite.html", {"organisation": organisation, "form": form})


@sensitive_action
def _member_edit(request, organisation, membership):
    form = RoleForm(request.POST or None, initial={"role": membership.role})
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                remove_member(membership, request.user)
                messages.success(request, _("%(name)s no longer acts for the organisation.") % {"name": membership.user})
                return redirect(organisation.get_absolute_url())
            if form.is_valid():
                change_role(membership, form.cleaned_data["role"], request.user)
                messages.success(request, _("The role has been changed."))
                return redirect(organisation.get_absolute_url())
        except MembershipError as exc:
            error = str(exc)
        except ValidationError as exc:
            add_errors(form, exc)
    return render(request, "organisations/member_edit.html", {
        "organisation": organisation, "membership": membership, "form": form, "error": error,
    })


@permission_required("organisations.change_member_roles", obj=organisation_by_oid)
def member_edit(request, oid, member_id):
    """Change a member's role or remove them: legal representatives only, after re-authentication."""
    organisation = request.permission_object
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, organisation=organisation)
    return _member_edit(request, organisation, membership)


@permission_required("organisations.accept_invitation")
def accept_invitation(request, token):
    try:
        invitation = get_invitation(token)
    except InvitationError as exc:
        return render(request, "organisations/invitation_invalid.html", {"message": str(exc)}, status=410)
    error = ""
    if request.method == "POST":
        try:
            membership = accept(token, request.user)
        except InvitationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("You now act for %(name)s as %(role)s.") % {
                "name": membership.organisation.legal_name, "role": membership.get_role_display()})
            return redirect(membership.organisation.get_absolute_url())
    return render(request, "organisations/invitation.html", {"invitation": invitation, "error": error})
