"""The agency's pages: the review queue, a card's review (approve or return), and the flags
(good practice by the card's agency, success story by the Commission)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eplus.core.paging import paging_links
from eplus.core.permissions import permission_required

from .. import workflow
from ..forms import ApproveForm, ReturnForm
from ..models import ResultsStatus
from ..rules import reviewable_card, reviewable_cards, success_story_card


@permission_required("results.review_queue")
def review_queue(request):
    cards = reviewable_cards(request.user).select_related("agency")
    waiting = cards.filter(results_status=ResultsStatus.UNDER_REVIEW).order_by("submitted_at", "identifier")
    page = Paginator(cards.order_by("-call_year", "identifier"), 50).get_page(request.GET.get("page") or 1)
    previous_url, next_url = paging_links(request, page)
    return render(request, "results/review_queue.html", {
        "waiting": list(waiting), "page": page, "previous_url": previous_url, "next_url": next_url,
    })


def _review_context(card, **forms):
    context = {
        "card": card,
        "results": list(card.results.prefetch_related("files").order_by("created_at", "pk")),
        "contacts": list(card.contacts.order_by("name", "pk")),
        "events": list(card.review_events.select_related("actor").order_by("-created_at", "-pk")),
        "organisations": list(card.organisations.order_by("order", "pk")),
        "return_form": ReturnForm(), "approve_form": ApproveForm(),
    }
    context.update(forms)
    return context


@permission_required("results.review_card", obj=reviewable_card)
def review(request, identifier):
    return render(request, "results/review.html", _review_context(request.permission_object))


@permission_required("results.review_card", obj=reviewable_card)
@require_POST
def review_decide(request, identifier, decision):
    card = request.permission_object
    try:
        if decision == "approve":
            form = ApproveForm(request.POST)
            form.is_valid()
            workflow.approve(card, request.user, form.cleaned_data.get("comment", ""))
            messages.success(request, _("The results are approved."))
        elif decision == "return":
            form = ReturnForm(request.POST)
            if not form.is_valid():
                return render(request, "results/review.html", _review_context(card, return_form=form), status=400)
            workflow.return_with_comments(card, request.user, form.cleaned_data["comment"])
            messages.success(request, _("The results are returned to the beneficiary with your comment."))
        else:
            raise Http404
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("results:review", card.identifier)


@permission_required("results.review_card", obj=reviewable_card)
@require_POST
def withdraw_result(request, identifier, result_id):
    """Take a published result off the public pages, with a reason (its address keeps a dated notice)."""
    card = request.permission_object
    result = get_object_or_404(card.results, pk=result_id, public=True)
    try:
        workflow.withdraw_result(result, request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(title)s” is withdrawn from the public pages.") % {"title": result.title})
    return redirect("results:review", card.identifier)


def _flag(request, transition, target):
    """Set the flag from the posted value; back to ``target``, or to the page it came from on refusal."""
    card = request.permission_object
    try:
        transition(card, request.user, request.POST.get("value") == "yes")
    except workflow.TransitionError as exc:
        messages.error(request, str(exc))
        back = request.POST.get("next", "")
        return redirect(back if back.startswith("/results/") else "results:search")
    messages.success(request, _("The flag is saved."))
    return redirect(reverse(target, args=[card.identifier]))


@permission_required("results.flag_good_practice", obj=reviewable_card)
@require_POST
def flag_good_practice(request, identifier):
    return _flag(request, workflow.flag_good_practice, "results:review")


@permission_required("results.flag_success_story", obj=success_story_card)
@require_POST
def flag_success_story(request, identifier):
    return _flag(request, workflow.flag_success_story, "results:project")
