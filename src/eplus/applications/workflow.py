"""The applicant lifecycle of an application: draft → submitted ⇄ withdrawn (resubmission allowed before
the deadline). The transitions themselves are the verbs ``services.submit`` and ``services.withdraw``;
this module says which moves exist, in one place."""

from django.utils.translation import gettext as _

from .models import Status

TRANSITIONS = {
    "submit": {Status.DRAFT, Status.SUBMITTED, Status.WITHDRAWN},
    "withdraw": {Status.SUBMITTED},
}


class TransitionNotAllowed(Exception):
    pass


def allowed(verb, status):
    return status in TRANSITIONS.get(verb, ())


def check(verb, status):
    if not allowed(verb, status):
        raise TransitionNotAllowed(_("This action is not possible for an application in status %(status)s.")
                                   % {"status": Status(status).label})
