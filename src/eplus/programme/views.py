from django.shortcuts import render


def calls(request):
    return render(request, "programme/calls.html", {"calls": []})
