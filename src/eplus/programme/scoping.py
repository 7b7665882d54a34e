"""Agency scoping: an agency's staff only ever query their own agency's data.

Every agency-owned queryset goes through :func:`for_agency_staff`, which filters on the path to the
owning agency and returns nothing for a user who is not staff of any agency. Views of agency data
get their objects from such a queryset, so another agency's object is a 404, never a 403 that
reveals it exists.
"""

from django.db.models import Q


def agency_roles(user):
    """The user's active agency memberships as (agency id, role) pairs, read once per request in one query
    (every page asks both "staff of which agencies?" and "an expert?" for the two-factor rule)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_eplus_agency_roles", None)
    if cached is None:
        from eplus.programme.models import AgencyMembership

        cached = frozenset(AgencyMembership.objects.filter(user=user, active=True).values_list("agency_id", "role"))
        user._eplus_agency_roles = cached
    return cached


def staff_agency_ids(user):
    """Ids of the agencies the user works for (officer or administrator)."""
    from eplus.programme.models import AgencyMembership

    return frozenset(agency for agency, role in agency_roles(user) if role in AgencyMembership.STAFF_ROLES)


def agency_staff(agency_id):
    """The users who are active staff (officers and administrators) of the agency, in one query: the
    people its notices go to."""
    from eplus.programme.models import AgencyMembership

    return [m.user for m in AgencyMembership.objects.filter(
        agency_id=agency_id, role__in=AgencyMembership.STAFF_ROLES, active=True).select_related("user").order_by("pk")]


def is_agency_staff(user):
    return bool(staff_agency_ids(user))


def for_agency_staff(queryset, user, agency_path="agency"):
    """``queryset`` limited to rows owned by one of the user's agencies.

    ``agency_path`` is the lookup path from the model to its Agency, e.g. ``"agency"`` or
    ``"country__agencies"``.
    """
    ids = staff_agency_ids(user)
    if not ids:
        return queryset.none()
    return queryset.filter(Q(**{f"{agency_path}__in": ids})).distinct()
