from django.shortcuts import render
from django.utils import timezone

from eplus.core.permissions import public

from .models import Call
from .services import open_calls


@public
def calls(request):
    """Public list of calls: open ones (soonest deadline first), then recent closed ones."""
    now = timezone.now()
    closed = Call.objects.filter(deadline__lte=now).select_related("action").order_by("-deadline", "action__code")[:50]
    return render(request, "programme/calls.html", {"open_calls": list(open_calls(now)), "closed_calls": list(closed)})
