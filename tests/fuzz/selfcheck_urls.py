"""A URL configuration with two deliberate bugs, for the fuzzers' self-checks: an API operation that divides
by its input (a 500 at 0) and answers outside its schema for a negative input, and a form page whose POST
reads its number without parsing it (a 500 for anything but digits). Only the self-check tests use it."""

from django.http import HttpResponse
from django.urls import include, path
from ninja import NinjaAPI, Schema

api = NinjaAPI(title="self-check", urls_namespace="fuzz_selfcheck")


class Quotient(Schema):
    result: int


@api.get("/divide", response=Quotient)
def divide(request, by: int):
    if by < 0:
        return {"result": "negative"}  # not an integer: violates the documented schema
    return {"result": 10 // by}  # ZeroDivisionError at 0


def form_page(request):
    if request.method == "POST":
        return HttpResponse(f"{int(request.POST['n']) + 1}")  # the bug: a 500 for anything but an integer
    return HttpResponse('<form method="post"><input type="number" name="n" value="1">'
                        '<input type="hidden" name="step" value="one"><button name="go" value="yes">Go</button></form>')


# The site's own patterns too: its pages (e.g. the 400 page for refused input) link to them.
urlpatterns = [path("selfcheck/", api.urls), path("selfcheck/form/", form_page), path("", include("eplus.config.urls"))]
