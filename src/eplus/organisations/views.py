"""Organisation pages. Thin: parse input, check permission (404 when refused), call a service, render."""

from eplus.accounts.decorators import sensitive_action
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.programme.scoping import is_agency_staff

from . import services, workflow
from .forms import (
    STEP_KEYS, STEPS, InviteForm, RejectForm, ReviewForm, RoleForm, SearchForm, collect_registration,
    raw_values, step_form,
)
from .models import Membership, Organisation, OrganisationType, RegistrationDraft
from .rules import validatable


def _add_errors(form, exc):
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


# --- search and lists ----------------------------------------------------------------------------

def search(request):
    """Search before registering; works for everyone. Results: name, city, country, OID, status."""
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if form.is_bound and form.is_valid():
        criteria = {k: v for k, v in form.cleaned_data.items() if v}
        if criteria:
            searched = True
            results = services.search_organisations(**criteria)
    return render(request, "organisations/search.html", {"form": form, "results": results, "searched": searched})


@login_required
def my_organisations(request):
    return render(request, "organisations/mine.html", {
        "memberships": services.memberships_for(request.user),
        "drafts": services.drafts_for(request.user),
    })


# --- registration wizard -------------------------------------------------------------------------

def _duplicates_for(draft):
    if draft is None:
        return []
    address = draft.data.get("address") or {}
    identity = draft.data.get("identity") or {}
    numbers = draft.data.get("numbers") or {}
    if not address.get("country"):
        return []
    return services.find_duplicates(
        address["country"].strip().upper(), numbers.get("registration_number", ""), identity.get("legal_name", "")
    )


def _step_url(draft, step):
    if draft is None:
        return reverse("organisations:register")
    return reverse("organisations:register_step", args=[draft.pk, step])


@login_required
def register(request, draft_id=None, step="identity"):
    """One step of the registration wizard. Every Next, Back or Save stores what was typed."""
    draft = None
    if draft_id is not None:
        draft = get_object_or_404(services.drafts_for(request.user), pk=draft_id)
    if step not in STEP_KEYS:
        raise Http404
    index = STEP_KEYS.index(step)
    data = draft.data if draft else {}
    duplicates = _duplicates_for(draft) if step in ("contact", "review") else []
    context = {"steps": STEPS, "step": step, "step_index": index + 1, "step_count": len(STEPS),
               "step_label": dict(STEPS)[step], "draft": draft, "duplicates": duplicates,
               "expires_at": services.draft_expires_at(draft) if draft else None}

    if step == "review":
        if draft is None:
            raise Http404
        return _review(request, draft, context)

    if request.method == "POST":
        action = request.POST.get("action", "next")
        values = raw_values(step, request.POST)
        if action == "back" and index > 0:
            draft = services.save_draft_step(draft, request.user, step, values, STEP_KEYS[index - 1])
            return redirect(_step_url(draft, STEP_KEYS[index - 1]))
        if action == "save":
            draft = services.save_draft_step(draft, request.user, step, values, step)
            messages.success(request, _(
                "Your registration has been saved. You can resume it from My organisations for one year after your last change."
            ))
            return redirect("organisations:mine")
        draft = services.save_draft_step(draft, request.user, step, values, step)
        form = step_form(step, draft.data, data=values)
        if form.is_valid():
            next_step = STEP_KEYS[index + 1]
            draft.current_step = next_step
            draft.save(update_fields=["current_step", "updated_at"])
            return redirect(_step_url(draft, next_step))
        context.update(draft=draft, expires_at=services.draft_expires_at(draft))
    else:
        form = step_form(step, data, initial=data.get(step))
    context.update(form=form, action_url=_step_url(draft, step))
    return render(request, "organisations/register_step.html", context)


def _review(request, draft, context):
    fields, registrant_role, invalid = collect_registration(draft, request.user)
    duplicates = context["duplicates"]
    form = ReviewForm(request.POST or None, duplicates=duplicates)
    if request.method == "POST":
        action = request.POST.get("action", "complete")
        if action == "back":
            draft.current_step = "contact"
            draft.save(update_fields=["current_step", "updated_at"])
            return redirect(_step_url(draft, "contact"))
        if action == "save":
            draft.current_step = "review"
            draft.save(update_fields=["current_step", "updated_at"])
            messages.success(request, _(
                "Your registration has been saved. You can resume it from My organisations for one year after your last change."
            ))
            return redirect("organisations:mine")
        if not invalid and form.is_valid():
            try:
                organisation = services.complete_registration(
                    request.user, fields, registrant_role=registrant_role,
                    confirm_different=form.cleaned_data.get("confirm_different", False), draft=draft,
                )
            except services.DuplicateOrganisation as exc:
                form = ReviewForm(request.POST, duplicates=[d for d in exc.duplicates])
                form.is_valid()
                context["duplicates"] = exc.duplicates
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Your organisation ID (OID) is %(oid)s.") % {"oid": organisation.oid})
                return redirect("organisations:registered", organisation.oid)
    step_labels = dict(STEPS)
    context.update(
        form=form, action_url=_step_url(draft, "review"), fields=fields, registrant_role=registrant_role,
        type_label=dict(OrganisationType.choices).get((fields or {}).get("organisation_type"), ""),
        invalid_steps=[(key, step_labels[key], f) for key, f in invalid.items()],
    )
    return render(request, "organisations/register_review.html", context)


@login_required
@require_POST
def delete_draft(request, draft_id):
    draft = get_object_or_404(RegistrationDraft, pk=draft_id, owner=request.user)
    draft.delete()
    messages.success(request, _("The registration in progress has been deleted."))
    return redirect("organisations:mine")


@login_required
def registered(request, oid):
    organisation = get_object_or_404(Organisation.objects.select_related("country"), oid=oid)
    if not request.user.has_perm("organisations.view_organisation_private", organisation):
        raise Http404
    return render(request, "organisations/registered.html", {"organisation": organisation})


# --- organisation page and members ---------------------------------------------------------------

def detail(request, oid):
    """Public data for everyone; members and private data for members and the country's agency staff."""
    organisation = get_object_or_404(Organisation.objects.select_related("country"), oid=oid)
    user = request.user
    can_private = user.has_perm("organisations.view_organisation_private", organisation)
    context = {
        "organisation": organisation,
        "can_private": can_private,
        "can_manage": user.has_perm("organisations.manage_members", organisation),
        "can_change_roles": user.has_perm("organisations.change_member_roles", organisation),
        "can_validate": user.has_perm("organisations.validate_organisation", organisation),
    }
    if can_private:
        context["members"] = organisation.memberships.select_related("user").order_by("role", "user__last_name")
        context["invitations"] = organisation.invitations.filter(accepted_at__isnull=True).select_related("invited_by")
    if context["can_manage"]:
        context["invite_form"] = InviteForm()
    return render(request, "organisations/detail.html", context)


def _organisation_for(request, oid, perm):
    organisation = get_object_or_404(Organisation.objects.select_related("country"), oid=oid)
    if not request.user.has_perm(perm, organisation):
        raise Http404
    return organisation


@login_required
def invite(request, oid):
    organisation = _organisation_for(request, oid, "organisations.manage_members")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _raw = services.invite_member(
                organisation, form.cleaned_data["email"], form.cleaned_data["role"], request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
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
                services.remove_member(membership, request.user)
                messages.success(request, _("%(name)s no longer acts for the organisation.") % {"name": membership.user})
                return redirect(organisation.get_absolute_url())
            if form.is_valid():
                services.change_role(membership, form.cleaned_data["role"], request.user)
                messages.success(request, _("The role has been changed."))
                return redirect(organisation.get_absolute_url())
        except services.MembershipError as exc:
            error = str(exc)
        except ValidationError as exc:
            _add_errors(form, exc)
    return render(request, "organisations/member_edit.html", {
        "organisation": organisation, "membership": membership, "form": form, "error": error,
    })


@login_required
def member_edit(request, oid, member_id):
    """Change a member's role or remove them: legal representatives only, after re-authentication."""
    organisation = _organisation_for(request, oid, "organisations.change_member_roles")
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=member_id, organisation=organisation)
    return _member_edit(request, organisation, membership)


@login_required
def accept_invitation(request, token):
    try:
        invitation = services.get_invitation(token)
    except services.InvitationError as exc:
        return render(request, "organisations/invitation_invalid.html", {"message": str(exc)}, status=410)
    error = ""
    if request.method == "POST":
        try:
            membership = services.accept_invitation(token, request.user)
        except services.InvitationError as exc:
            error = str(exc)
        else:
            messages.success(request, _("You now act for %(name)s as %(role)s.") % {
                "name": membership.organisation.legal_name, "role": membership.get_role_display()})
            return redirect(membership.organisation.get_absolute_url())
    return render(request, "organisations/invitation.html", {"invitation": invitation, "error": error})


# --- agency validation ---------------------------------------------------------------------------

@login_required
def agency_queue(request):
    """Organisations under validation in the countries of the officer's agencies."""
    if not is_agency_staff(request.user):
        raise Http404
    organisations = validatable(
        Organisation.objects.filter(status=Organisation.Status.UNDER_VALIDATION), request.user
    ).select_related("country").order_by("created_at")
    return render(request, "organisations/agency_queue.html", {"organisations": organisations})


@login_required
def agency_review(request, oid):
    organisation = get_object_or_404(
        validatable(Organisation.objects.select_related("country"), request.user), oid=oid
    )
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
            _add_errors(form, exc)
    members = organisation.memberships.select_related("user")
    return render(request, "organisations/agency_review.html", {
        "organisation": organisation, "form": form, "error": error, "members": members,
    })
