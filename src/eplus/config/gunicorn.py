"""gunicorn settings for ``./run serve`` (``--config python:eplus.config.gunicorn``)."""

import threading


def post_worker_init(worker):
    """Load the public search's facet engine in the background as each worker starts (≈ 15 s at 300 000
    public projects), instead of in the first search request."""
    from eplus.results import facets

    threading.Thread(target=facets.warm, name="eplus-search-warm", daemon=True).start()

# The access log names the worker that answered (pid=…): which process served what, when several do.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
