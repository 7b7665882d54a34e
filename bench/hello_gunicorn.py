"""gunicorn settings of bench/hello_wsgi.py: eplus's (eplus.config.gunicorn) without the search engine's
warm-up, which a fixed-string view does not use."""

from eplus.config.gunicorn import access_log_format  # noqa: F401
