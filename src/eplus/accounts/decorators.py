"""Re-authentication before sensitive actions, for the views of every app.

Usage::

    from eplus.accounts.decorators import sensitive_action

    @login_required
    @sensitive_action                # GET and POST need a recent re-authentication
    def withdraw_application(request, pk): ...

    @sensitive_action(allow_get=True)  # show the page freely, re-authenticate before the POST
    def account_data(request): ...

When the user has not entered their password (or an MFA code) within
``ACCOUNT_REAUTHENTICATION_TIMEOUT`` seconds, allauth's middleware sends them to the
re-authentication page; a suspended POST is replayed afterwards, so nothing typed is lost.
"""

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.reauthentication import is_reauthentication_required


def recently_authenticated(request):
    """Whether a sensitive action would pass now without asking again: a form with a file (which a
    suspended POST cannot carry) asks first, with a link to re-authenticate and come back."""
    return not is_reauthentication_required(request, app="")


def sensitive_action(view_func=None, *, allow_get=False):
    decorator = reauthentication_required(allow_get=allow_get)
    if view_func is not None:
        return decorator(view_func)
    return decorator
