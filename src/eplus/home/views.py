from django.conf import settings
from django.shortcuts import redirect, render

from eplus.core import time as clock
from eplus.core.permissions import permission_required, public
from eplus.programme.models import Agency
from eplus.programme.services import open_calls

from . import queues

# The open calls shown on the home page (the calls page lists them all).
HOME_CALLS = 6


def operator():
    """The operating agency as the home page shows it (settings.OPERATOR_*; its name from the programme data)."""
    agency = Agency.objects.filter(code=settings.OPERATOR_AGENCY).first() if settings.OPERATOR_AGENCY else None
    return {"name": agency.name if agency else "", "code": agency.code if agency else "",
            "logo": settings.OPERATOR_LOGO, "url": settings.OPERATOR_URL, "eu_emblem": settings.OPERATOR_EU_EMBLEM}


@public
def home(request):
    """The public home page: the open calls with their deadlines and a way to start an application for each,
    the results search, and how it works for applicants, experts and the public."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    calls = list(open_calls(clock.now())[:HOME_CALLS])
    return render(request, "home/home.html", {"calls": calls, "operator": operator()})


@permission_required("home.view_dashboard")
def dashboard(request):
    """The person's home: a section per role they have (agency staff, expert, applicant), each listing what
    needs doing next with a link to the page that does it (see :mod:`eplus.home.queues`)."""
    return render(request, "home/dashboard.html", queues.dashboard(request.user))
