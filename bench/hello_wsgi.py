"""The ``hello_rps`` baseline of bench/topology.py: eplus's settings and middleware, one view that returns
a fixed string, served by gunicorn like ``./run serve`` (bench/hello_gunicorn.py)."""

import os
import sys

from django.http import HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eplus.config.settings")


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("", hello)]

from django.conf import settings  # noqa: E402

settings.ROOT_URLCONF = sys.modules[__name__].__name__

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
