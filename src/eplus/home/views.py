from django.shortcuts import redirect, render
from django.utils import timezone

from eplus.core.permissions import permission_required, public
from eplus.organisations.queries import memberships_for
from eplus.programme.services import upcoming_deadlines


@public
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home/home.html")


@permission_required("home.view_dashboard")
def dashboard(request):
    return render(request, "home/dashboard.html", {
        "memberships": memberships_for(request.user),
        "deadlines": upcoming_deadlines(timezone.now(), limit=6),
    })
