"""Admin-screen access of agency administrators.

An active ``admin`` membership of an agency makes the person staff (they may open the admin screens)
and puts them in the "Agency administrators" group, which may view, add and change the programme
reference data — not delete it, since calls and envelopes are referred to by applications. Ending the
membership takes the access away again (superusers keep theirs). Which envelopes an agency
administrator sees is limited to their own agency in the admin itself (``BudgetEnvelopeAdmin``).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

GROUP_NAME = "Agency administrators"
EDITABLE_MODELS = ("country", "agency", "action", "call", "budgetenvelope", "priority", "topic")


def agency_admin_group():
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    wanted = Permission.objects.filter(
        content_type__app_label="programme", content_type__model__in=EDITABLE_MODELS,
        codename__regex=r"^(view|add|change)_",
    ) | Permission.objects.filter(content_type__app_label="programme", codename="view_referencedatarelease")
    if set(group.permissions.all()) != set(wanted):
        group.permissions.set(wanted)
    return group


def sync_admin_access(user):
    """Make ``user``'s staff flag and group follow their agency-administrator memberships."""
    from .models import AgencyMembership

    is_agency_admin = AgencyMembership.objects.filter(
        user=user, role=AgencyMembership.Role.ADMIN, active=True
    ).exists()
    with transaction.atomic():
        group = agency_admin_group()
        if is_agency_admin:
            user.groups.add(group)
        else:
            user.groups.remove(group)
        staff = is_agency_admin or user.is_superuser
        if user.is_staff != staff:
            user.is_staff = staff
            user.save(update_fields=["is_staff"], audit_verb="admin-access")
