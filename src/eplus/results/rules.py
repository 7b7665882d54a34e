"""Who may do what on the results platform (``rules`` predicates) and the matching queryset filters.

- anyone: the public projection (eplus.results.public)
- legal representatives and contact persons of the coordinating organisation: edit the card
- staff of the card's agency: review the results, flag good practice
- users with the Commission role: flag success stories
"""

import rules

from eplus.programme.scoping import for_agency_staff, staff_agency_ids
from eplus.organisations.models import MANAGER_ROLES

from .models import ProjectCard


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


rules.add_perm("results.edit_card", is_card_manager)
rules.add_perm("results.review_card", is_card_agency_staff)
rules.add_perm("results.flag_good_practice", is_card_agency_staff)
rules.add_perm("results.flag_success_story", is_commission)


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
