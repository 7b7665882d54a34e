"""Who hears of what happens to a project, and the e-mail itself (through ``eplus.core.mail``)."""

from django.conf import settings

from eplus.core.mail import language_of, queue_templated_mail
from eplus.programme.models import AgencyMembership

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


def agency_staff(project):
    """The active staff of the project's agency: they hear of submitted reports and requested amendments."""
    return [m.user for m in AgencyMembership.objects.filter(
        agency_id=project.agency_id, role__in=AgencyMembership.STAFF_ROLES, active=True).select_related("user")]
