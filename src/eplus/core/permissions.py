"""Views declare the permission they need; who has it is decided by a ``rules`` predicate in the app's
``rules.py`` (registered with ``rules.add_perm``), never in the view.

    @permission_required("evaluation.manage_case", obj=lambda request, pk: case_for(request.user, pk))
    def case_detail(request, pk): ...

``obj`` finds the object the permission is about; look it up in the queryset the user may list (the
``rules.py`` filter beside the predicate) so that an object the user may not see is a 404, not a 403
that reveals it exists. The object found is handed to the view as ``request.permission_object``.
Pages anyone may open say so with :func:`public`. tests/test_architecture.py checks that every view
of the project declares one or the other.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def permission_required(perm, obj=None, *, denied=Http404, login=True):
    """Run the view only when ``request.user.has_perm(perm, obj(request, *args, **kwargs))``.

    ``denied`` is raised on refusal (``Http404`` by default, ``PermissionDenied`` for a 403 where the
    object's existence is no secret). Anonymous users are sent to the log-in page first when ``login``.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if login and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            target = obj(request, *args, **kwargs) if obj is not None else None
            if not request.user.has_perm(perm, target):
                raise denied
            request.permission_object = target
            return view(request, *args, **kwargs)

        wrapped.permission = perm
        return wrapped

    return decorate


def public(view):
    """Mark a view that anyone may open (the permission is declared: none)."""
    view.permission = None
    return view

