from django.shortcuts import redirect, render

from eplus.core.permissions import permission_required, public

from . import queues


@public
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home/home.html")


@permission_required("home.view_dashboard")
def dashboard(request):
    """The person's home: a section per role they have (agency staff, expert, applicant), each listing what
    needs doing next with a link to the page that does it (see :mod:`eplus.home.queues`)."""
    return render(request, "home/dashboard.html", queues.dashboard(request.user))
