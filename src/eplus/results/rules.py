"""Who may do what on the results platform (``rules`` predicates) and the matching queryset filters.

- anyone: the public projection (eplus.results.public)
- legal representatives and contact persons of the coordinating organisation: edit the card
- staff of the card's agency: review the results, flag good practice
- users with the Commission role: flag success stories (of public, finalised cards)

The views declare these permissions and find their object with the loaders at the end, which look
in the queryset filter beside the predicate: a card the user may not act on is a 404.
"""

import rules
from django.db.models import Q
from django.shortcuts import get_object_or_404

from eplus.organisations.models import MANAGER_ROLES
from eplus.programme.scoping import for_agency_staff, is_agency_staff, staff_agency_ids

from . import public
from .models import ProjectCard, ResultFile


@rules.predicate
def is_card_manager(user, card):
    if not getattr(user, "is_authenticated", False) or card is None or not card.coordinator_id:
        return False
    cache = card.__dict__.setdefault("_eplus_managers", {})
    if user.pk not in cache:
        cache[user.pk] = card.coordinator.memberships.filter(user=user, role__in=MANAGER_ROLES).exists()
    return cache[user.pk]


@rules.predicate
def is_card_agency_staff(user, card):
    return card is not None and card.agency_id is not None and card.agency_id in staff_agency_ids(user)


@rules.predicate
def is_commission(user):
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_commission", False))


@rules.predicate
def is_staff_of_an_agency(user):
    return is_agency_staff(user)


@rules.predicate
def is_public_file(user, record):
    return record is not None and public.public_files_qs().filter(pk=record.pk).exists()


@rules.predicate
def manages_file_card(user, record):
    return record is not None and is_card_manager(user, record.result.card)


@rules.predicate
def reviews_file_card(user, record):
    return record is not None and is_card_agency_staff(user, record.result.card)


rules.add_perm("results.list_own_cards", rules.is_authenticated)
rules.add_perm("results.edit_card", is_card_manager)
rules.add_perm("results.review_queue", is_staff_of_an_agency)
rules.add_perm("results.review_card", is_card_agency_staff)
rules.add_perm("results.flag_good_practice", is_card_agency_staff)
rules.add_perm("results.flag_success_story", is_commission)
rules.add_perm("results.download_file", is_public_file | manages_file_card | reviews_file_card)


def editable_cards(user, queryset=None):
    """Cards the user may edit (same rule as results.edit_card)."""
    queryset = ProjectCard.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(coordinator__memberships__user=user,
                           coordinator__memberships__role__in=MANAGER_ROLES).distinct()


def reviewable_cards(user, queryset=None):
    """Cards of the user's agencies (same rule as results.review_card); other agencies' cards: none."""
    queryset = ProjectCard.objects.all() if queryset is None else queryset
    return for_agency_staff(queryset, user)


def success_story_cards(user, queryset=None):
    """Cards the user may flag as a success story (results.flag_success_story): public ones, for the Commission."""
    queryset = public.public_cards() if queryset is None else queryset
    return queryset if is_commission(user) else queryset.none()


def downloadable_files(user):
    """Result files the user may download (results.download_file): public ones, and every file of the
    cards the user manages or reviews."""
    return ResultFile.objects.filter(
        Q(pk__in=public.public_files_qs().values("pk"))
        | Q(result__card__in=editable_cards(user).values("pk"))
        | Q(result__card__in=reviewable_cards(user).values("pk")))


# --- loaders for the views' declared permissions (the object from the queryset above, or 404) --------

def editable_card(request, identifier, **_kwargs):
    return get_object_or_404(editable_cards(request.user).select_related("coordinator", "agency"),
                             identifier=identifier)


def reviewable_card(request, identifier, **_kwargs):
    return get_object_or_404(reviewable_cards(request.user).select_related("agency", "coordinator"),
                             identifier=identifier)


def success_story_card(request, identifier, **_kwargs):
    return get_object_or_404(success_story_cards(request.user), identifier=identifier)


def downloadable_file(request, file_id):
    return get_object_or_404(downloadable_files(request.user).select_related("result__card__coordinator"),
                             pk=file_id)


# --- saved searches (eplus.results.alerts): each signed-in user keeps their own -------------------------

@rules.predicate
def owns_saved_search(user, saved):
    return bool(getattr(user, "is_authenticated", False)) and saved is not None and saved.user_id == user.pk


rules.add_perm("results.save_search", rules.is_authenticated)
rules.add_perm("results.list_saved_searches", rules.is_authenticated)
rules.add_perm("results.manage_saved_search", owns_saved_search)


def own_saved_searches(user):
    """The user's saved searches (results.manage_saved_search); anyone else's: none."""
    from .models import SavedSearch

    if not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(user=user)


def own_saved_search(request, pk, **_kwargs):
    return get_object_or_404(own_saved_searches(request.user), pk=pk)
