from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from .permissions import public


@public
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@public
def privacy(request):
    return render(request, "core/privacy.html")
