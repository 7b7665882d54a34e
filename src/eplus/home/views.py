from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from eplus.organisations.services import memberships_for
from eplus.programme.services import upcoming_deadlines


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home/home.html")


@login_required
def dashboard(request):
    return render(request, "home/dashboard.html", {
        "memberships": memberships_for(request.user),
        "deadlines": upcoming_deadlines(timezone.now(), limit=6),
    })
