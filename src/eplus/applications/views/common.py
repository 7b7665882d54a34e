"""What the application pages share: the loader of the permission decorators, form errors, the
countdown and the context of an application's pages."""

from datetime import timedelta

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eplus.core import time as clock

from .. import forms as F
from ..eligibility import evaluate
from ..incidents import incident_hours
from ..rules import late_window, openable_application


def application_for(request, pk, **_kwargs):
    """The application among those the user may list (another one is a 404: never reveal it exists)."""
    application = openable_application(request.user, pk)
    if application is None:
        raise Http404
    return application


def add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def remaining(deadline, now=None):
    """'12 days, 3 hours left' — the server-rendered countdown (eplus.js-style JS keeps it ticking)."""
    left = deadline - (now or clock.now())
    if left <= timedelta(0):
        return _("Closed")
    days = left.days
    hours = (left % timedelta(days=1)) // timedelta(hours=1)
    minutes = (left % timedelta(hours=1)) // timedelta(minutes=1)
    if days:
        return ngettext("%(days)d day, %(hours)d h left", "%(days)d days, %(hours)d h left", days) % {
            "days": days, "hours": hours}
    return _("%(hours)d h %(minutes)d min left") % {"hours": hours, "minutes": minutes}


def page_context(application, verdict=None):
    """The application, the engine's verdict and the deadline; what the user may do is asked by the
    templates (``{% has_perm %}``)."""
    verdict = verdict or evaluate(application)
    now = clock.now()
    before_deadline = clock.is_before_deadline(now, application.call.deadline)
    late = None if before_deadline else late_window(application, now)
    return {
        "application": application, "verdict": verdict, "is_open": before_deadline or late is not None,
        "remaining": remaining(application.call.deadline, now), "titles": F.SECTION_TITLES,
        "incident_hours": incident_hours(application.call),
        "late": late, "late_remaining": remaining(late.late_until, now) if late else "",
    }
