"""gunicorn settings for ``./run serve`` (``--config python:eplus.config.gunicorn``)."""

import threading


def post_worker_init(worker):
    """Load the public search's facet engine in the background as each worker starts (≈ 15 s at 300 000
    public projects), instead of in the first search request."""
    from eplus.results import facets

    def warm():
        facets.warm()
        release_freed_memory()

    threading.Thread(target=warm, name="eplus-search-warm", daemon=True).start()


def release_freed_memory():
    """Give the heap pages freed by the engine's load back to the system (glibc keeps them otherwise):
    the worker's resident memory is then what it holds, not the high-water mark of the load."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass

# The access log names the worker that answered (pid=…): which process served what, when several do.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
