"""Who may do what with an organisation (``rules`` predicates) and the matching queryset filters.

- anyone: the public data (name, country, city, OID, type, website, status)
- members and the staff of the national agency of the organisation's country: private data, members
- legal representatives and contact persons: invite members, record the PIC
- legal representatives: change roles and remove members
- staff of the organisation's national agency: certify or reject
"""

import rules
from django.db.models import Q
from django.shortcuts import get_object_or_404

from eplus.programme.scoping import is_agency_staff, staff_agency_ids

from .models import MANAGER_ROLES, Organisation, RegistrationDraft, Role


def role_of(user, organisation):
    """The user's role in the organisation (or None), cached on the organisation instance."""
    if not getattr(user, "is_authenticated", False) or organisation is None:
        return None
    cache = organisation.__dict__.setdefault("_eplus_roles", {})
    if user.pk not in cache:
        cache[user.pk] = organisation.memberships.filter(user=user).values_list("role", flat=True).first()
    return cache[user.pk]


def agency_ids_of_country(country_id):
    from eplus.programme.models import Agency

    return set(Agency.objects.filter(country_id=country_id).values_list("pk", flat=True))


@rules.predicate
def is_member(user, organisation):
    return role_of(user, organisation) is not None


@rules.predicate
def is_manager(user, organisation):
    return role_of(user, organisation) in MANAGER_ROLES


@rules.predicate
def is_legal_representative(user, organisation):
    return role_of(user, organisation) == Role.LEGAL_REPRESENTATIVE


@rules.predicate
def is_country_agency_staff(user, organisation):
    if organisation is None:
        return False
    ids = staff_agency_ids(user)
    return bool(ids) and bool(ids & agency_ids_of_country(organisation.country_id))


@rules.predicate
def is_staff_of_an_agency(user):
    return is_agency_staff(user)


@rules.predicate
def owns_draft(user, draft):
    return draft is None or draft.owner_id == getattr(user, "pk", None)


rules.add_perm("organisations.view_organisation", rules.always_allow)
rules.add_perm("organisations.list_own", rules.is_authenticated)
rules.add_perm("organisations.accept_invitation", rules.is_authenticated)
rules.add_perm("organisations.edit_registration", rules.is_authenticated & owns_draft)
rules.add_perm("organisations.validation_queue", is_staff_of_an_agency)
rules.add_perm("organisations.register_organisation", rules.is_authenticated)
rules.add_perm("organisations.view_organisation_private", is_member | is_country_agency_staff)
rules.add_perm("organisations.manage_members", is_manager)
rules.add_perm("organisations.change_pic", is_manager)
rules.add_perm("organisations.change_member_roles", is_legal_representative)
rules.add_perm("organisations.validate_organisation", is_country_agency_staff)


def private_visible(queryset, user):
    """Organisations whose private data the user may see (same rule as view_organisation_private)."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    condition = Q(memberships__user=user)
    ids = staff_agency_ids(user)
    if ids:
        condition |= Q(country__agencies__in=ids)
    return queryset.filter(condition).distinct()


def validatable(queryset, user):
    """Organisations the user may certify or reject (agency staff of the organisation's country)."""
    ids = staff_agency_ids(user)
    if not ids:
        return queryset.none()
    return queryset.filter(country__agencies__in=ids).distinct()


def own_drafts(user):
    """Registration drafts the user may edit or delete (organisations.edit_registration): their own."""
    if not getattr(user, "is_authenticated", False):
        return RegistrationDraft.objects.none()
    return RegistrationDraft.objects.filter(owner=user)


# --- loaders for the views' declared permissions (the object, or 404) --------------------------------

def organisation_by_oid(request, oid, **_kwargs):
    return get_object_or_404(Organisation.objects.select_related("country"), oid=oid)


def validatable_organisation(request, oid):
    return get_object_or_404(validatable(Organisation.objects.select_related("country"), request.user), oid=oid)


def own_draft(request, draft_id, **_kwargs):
    return get_object_or_404(own_drafts(request.user), pk=draft_id)


def resumable_draft(request, draft_id=None, **_kwargs):
    """The draft of the registration wizard's URL among the user's drafts still kept (None: a new one)."""
    from .registration import drafts_for

    return get_object_or_404(drafts_for(request.user), pk=draft_id) if draft_id is not None else None
