from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def my_organisations(request):
    return render(request, "organisations/mine.html", {"memberships": []})
