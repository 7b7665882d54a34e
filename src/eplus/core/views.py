from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "core/home.html")


@login_required
def dashboard(request):
    from eplus.organisations.services import memberships_for
    from eplus.programme.services import upcoming_deadlines

    return render(request, "core/dashboard.html", {
        "memberships": memberships_for(request.user),
        "deadlines": upcoming_deadlines(timezone.now(), limit=6),
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def privacy(request):
    return render(request, "core/privacy.html")
