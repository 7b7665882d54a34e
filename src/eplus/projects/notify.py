"""Who hears of what happens to a project, and the e-mail itself (through ``eplus.core.mail``)."""

from django.conf import settings

from eplus.core.mail import language_of, queue_templated_mail
from eplus.organisations.models import Membership, Role
from eplus.programme import scoping

from .models import AccessLevel


def notify(users, template, context):
    """Queue ``projects/email/<template>`` for each user in their language (sent once the current
    transaction commits); the number queued. ``context["project"]`` names the project it is about."""
    site = settings.SITE_URL.rstrip("/")
    project = context["project"]
    sent = 0
    for user in users:
        data = {"user": user, "site": site, **context}
        queue_templated_mail(f"projects/email/{template}", data, user.email, language_of(user), related=project,
                             agency_code=project.agency.code)
        sent += 1
    return sent


def edit_recipients(project):
    """Users with edit rights: they receive reminders and notices."""
    return [a.user for a in project.accesses.filter(level=AccessLevel.EDIT).select_related("user")
            if a.user.email and a.user.is_active]


def reminder_recipients(project):
    """Who gets the deadline reminders: the contacts with edit rights who are not a legal representative
    (of the organisation they act for in the project, or of the coordinator); the legal representative only
    when nobody else has edit rights (Beneficiary Module guide, seed 000: reminders go to the project's
    contacts, not to the person who signs). Each is mailed in their own language by :func:`notify`."""
    editors = [a for a in project.accesses.filter(level=AccessLevel.EDIT).select_related("user")
               if a.user.email and a.user.is_active]
    organisations = {a.organisation_id or project.coordinator_id for a in editors}
    representatives = set(Membership.objects.filter(
        role=Role.LEGAL_REPRESENTATIVE, organisation_id__in=organisations | {project.coordinator_id},
        user_id__in=[a.user_id for a in editors]).values_list("user_id", "organisation_id"))

    def represents(access):
        return ((access.user_id, access.organisation_id or project.coordinator_id) in representatives
                or (access.user_id, project.coordinator_id) in representatives)

    contacts = [a.user for a in editors if not represents(a)]
    return contacts or [a.user for a in editors]


def agency_staff(project):
    """The active staff of the project's agency: they hear of submitted reports and requested amendments."""
    return scoping.agency_staff(project.agency_id)
