"""The beneficiary's pages: their cards, the card's editing page, website, logo, contacts, submission.

Every view declares ``results.edit_card`` on the card found among the user's editable cards (another
card is a 404).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.core.permissions import permission_required

from .. import editing, workflow
from ..forms import ContactForm, LogoForm, ResultWithFileForm, WebsiteForm
from ..models import ResultsStatus
from ..rules import editable_card, editable_cards


@permission_required("results.list_own_cards")
def mine(request):
    cards = editable_cards(request.user).select_related("agency").order_by("-call_year", "identifier")
    return render(request, "results/mine.html", {"cards": cards})


def edit_context(card, **forms):
    contacts = list(card.contacts.order_by("name", "pk"))
    context = {
        "card": card,
        "results": list(card.results.prefetch_related("files").order_by("created_at", "pk")),
        "contacts": contacts,
        "has_published_contact": any(c.published for c in contacts),
        "events": list(card.review_events.select_related("actor").order_by("-created_at", "-pk")),
        "website_form": WebsiteForm(initial={"website": card.website}),
        "logo_form": LogoForm(),
        "contact_form": ContactForm(),
        "result_form": ResultWithFileForm(initial={"public": True}),
        "submission_problems": workflow.submission_problems(card),
        "results_editable": card.results_status not in (ResultsStatus.UNDER_REVIEW, ResultsStatus.APPROVED),
        "organisations": list(card.organisations.order_by("order", "pk")),
    }
    context.update(forms)
    return context


def locked_redirect(request, card, exc):
    messages.error(request, str(exc))
    return redirect("results:edit", card.identifier)


def store_upload(request, card, form, field, store, done_message, done_url, *done_args):
    """Validate the form and ``store(upload)``: the redirect when done, None when the form shows errors."""
    if not form.is_valid():
        return None
    try:
        store(form.cleaned_data[field])
    except editing.Locked as exc:
        return locked_redirect(request, card, exc)
    except ValidationError as exc:
        form.add_error(field, exc.messages)
        return None
    messages.success(request, done_message)
    return redirect(done_url, card.identifier, *done_args)


@permission_required("results.edit_card", obj=editable_card)
def edit(request, identifier):
    return render(request, "results/edit.html", edit_context(request.permission_object))


@permission_required("results.edit_card", obj=editable_card)
@require_POST
def set_website(request, identifier):
    card = request.permission_object
    form = WebsiteForm(request.POST)
    if not form.is_valid():
        return render(request, "results/edit.html", edit_context(card, website_form=form), status=400)
    try:
        editing.set_website(card, form.cleaned_data["website"], request.user)
    except editing.Locked as exc:
        return locked_redirect(request, card, exc)
    messages.success(request, _("The project website is saved. It is public now."))
    return redirect("results:edit", card.identifier)


@permission_required("results.edit_card", obj=editable_card)
@require_POST
def set_logo(request, identifier):
    card = request.permission_object
    form = LogoForm(request.POST, request.FILES)
    done = store_upload(request, card, form, "logo", lambda upload: editing.set_logo(
        card, upload, upload.name, request.user), _("The logo is saved and its thumbnail made."), "results:edit")
    if done is not None:
        return done
    return render(request, "results/edit.html", edit_context(card, logo_form=form), status=400)


def _contact_initial(existing):
    return {"name": existing.name, "email": existing.email, "phone": existing.phone, "published": existing.published}


def _contact_post(request, card, existing):
    """Delete or save the contact; returns a response, or the invalid form."""
    try:
        if request.POST.get("action") == "delete" and existing:
            editing.delete_contact(existing, request.user)
            messages.success(request, _("The contact person is removed."))
            return redirect("results:edit", card.identifier)
        form = ContactForm(request.POST)
        if not form.is_valid():
            return form
        editing.save_contact(card, request.user, contact=existing, **form.cleaned_data)
    except editing.Locked as exc:
        return locked_redirect(request, card, exc)
    messages.success(request, _("The contact person is saved."))
    return redirect("results:edit", card.identifier)


@permission_required("results.edit_card", obj=editable_card)
def contact(request, identifier, contact_id=None):
    card = request.permission_object
    existing = get_object_or_404(card.contacts, pk=contact_id) if contact_id else None
    if request.method == "POST":
        form = _contact_post(request, card, existing)
        if not isinstance(form, ContactForm):
            return form
        if existing is None:
            return render(request, "results/edit.html", edit_context(card, contact_form=form), status=400)
    else:
        form = ContactForm(initial=_contact_initial(existing)) if existing else ContactForm()
    return render(request, "results/contact_form.html", {"card": card, "form": form, "contact": existing})


@permission_required("results.edit_card", obj=editable_card)
@require_POST
def submit(request, identifier):
    card = request.permission_object
    try:
        workflow.submit_for_review(card, request.user)
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The results are submitted for review. The National Agency will approve them "
                                    "or return them to you with comments."))
    return redirect("results:edit", card.identifier)
