from eplus.programme.scoping import is_agency_staff


def navigation(request):
    """Which parts of the navigation the current user sees."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_is_agency_staff": authenticated and is_agency_staff(user),
        "nav_is_expert": authenticated and getattr(user, "is_expert", False),
        "nav_is_admin": authenticated and user.is_staff,
    }
