"""The registration wizard (one step per page, every step stored in a draft), its review and completion."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from django.views.decorators.http import require_POST

from eplus.core.permissions import permission_required

from ..forms import STEP_KEYS, STEPS, ReviewForm, collect_registration, raw_values, step_form
from ..models import OrganisationType
from ..queries import find_duplicates
from ..registration import DuplicateOrganisation, complete_registration, draft_expires_at, save_draft_step
from ..rules import organisation_by_oid, own_draft, resumable_draft
from ._forms import add_errors


def _duplicates_for(draft):
    if draft is None:
        return []
    address = draft.data.get("address") or {}
    identity = draft.data.get("identity") or {}
    numbers = draft.data.get("numbers") or {}
    if not address.get("country"):
        return []
    return find_duplicates(
        address["country"].strip().upper(), numbers.get("registration_number", ""), identity.get("legal_name", "")
    )


def _step_url(draft, step):
    if draft is None:
        return reverse("organisations:register")
    return reverse("organisations:register_step", args=[draft.pk, step])


@permission_required("organisations.edit_registration", obj=resumable_draft)
def register(request, draft_id=None, step="identity"):
    """One step of the registration wizard. Every Next, Back or Save stores what was typed."""
    draft = request.permission_object
    if step not in STEP_KEYS:
        raise Http404
    index = STEP_KEYS.index(step)
    data = draft.data if draft else {}
    duplicates = _duplicates_for(draft) if step in ("contact", "review") else []
    context = {"steps": STEPS, "step": step, "step_index": index + 1, "step_count": len(STEPS),
               "step_label": dict(STEPS)[step], "draft": draft, "duplicates": duplicates,
               "expires_at": draft_expires_at(draft) if draft else None}

    if step == "review":
        if draft is None:
            raise Http404
        return _review(request, draft, context)

    if request.method == "POST":
        action = request.POST.get("action", "next")
        values = raw_values(step, request.POST)
        if action == "back" and index > 0:
            draft = save_draft_step(draft, request.user, step, values, STEP_KEYS[index - 1])
            return redirect(_step_url(draft, STEP_KEYS[index - 1]))
        if action == "save":
            draft = save_draft_step(draft, request.user, step, values, step)
            messages.success(request, _(
                "Your registration has been saved. You can resume it from My organisations for one year after your last change."
            ))
            return redirect("organisations:mine")
        draft = save_draft_step(draft, request.user, step, values, step)
        form = step_form(step, draft.data, data=values)
        if form.is_valid():
            next_step = STEP_KEYS[index + 1]
            draft.current_step = next_step
            draft.save(update_fields=["current_step", "updated_at"])
            return redirect(_step_url(draft, next_step))
        context.update(draft=draft, expires_at=draft_expires_at(draft))
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
                organisation = complete_registration(
                    request.user, fields, registrant_role=registrant_role,
                    confirm_different=form.cleaned_data.get("confirm_different", False), draft=draft,
                )
            except DuplicateOrganisation as exc:
                form = ReviewForm(request.POST, duplicates=[d for d in exc.duplicates])
                form.is_valid()
                context["duplicates"] = exc.duplicates
            except ValidationError as exc:
                add_errors(form, exc)
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


@permission_required("organisations.edit_registration", obj=own_draft)
@require_POST
def delete_draft(request, draft_id):
    request.permission_object.delete()
    messages.success(request, _("The registration in progress has been deleted."))
    return redirect("organisations:mine")


@permission_required("organisations.view_organisation_private", obj=organisation_by_oid)
def registered(request, oid):
    return render(request, "organisations/registered.html", {"organisation": request.permission_object})
