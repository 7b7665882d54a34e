"""The full open-data files (every public card as CSV and as XLSX), built by a task and served as stored
files: writing 300 000 rows takes minutes, longer than a web worker may answer (gunicorn's timeout).

- :func:`schedule_build` — called on every change of the public projection (page_cache.bump_public_cache):
  with a queue that can run a task later (production's database queue, RQ) it enqueues one build
  ``OPEN_DATA_BUILD_DELAY_SECONDS`` later, and the changes meanwhile wait for that same build (debounced
  through a key in the shared cache). The in-process backend of the demo and the unit tests cannot run a
  task later: there the download builds a stale file first (:func:`current_file`), through the task API.
- :func:`build_files` — the task's work: one build at a time (a PostgreSQL advisory lock, released if the
  worker dies), each file written to a temporary file, hashed, stored (object storage in production)
  under a name made of its SHA-256, then swapped in. The replaced file is deleted
  ``OPEN_DATA_REPLACED_FILE_KEEP_SECONDS`` after the swap (:func:`delete_replaced`), not at once: a visitor
  redirected to it just before the swap (a signed URL lives ``SIGNED_URL_SECONDS``) still gets it.
  A worker killed half-way leaves the previous file served and its task is run again.
- :func:`file_answer` — the stored file with ``ETag`` (its SHA-256), ``Last-Modified`` (when the content
  last changed) and ``Content-Length``; a conditional request that still has it gets 304.
"""

import hashlib
import logging
import tempfile
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from eplus.core.exports import XLSX_CONTENT_TYPE
from eplus.core.files import file_response

from . import opendata
from .models import OpenDataFile
from .page_cache import public_cache_version

log = logging.getLogger(__name__)

# format: (download name, content type, writer(handle, site, tally))
FORMATS = {
    "csv": ("erasmus-plus-projects.csv", "text/csv; charset=utf-8",
            lambda handle, site, tally: _write_csv(handle, site, tally)),
    "xlsx": ("erasmus-plus-projects.xlsx", XLSX_CONTENT_TYPE,
             lambda handle, site, tally: opendata.write_xlsx(handle, site=site, tally=tally)),
}
SCHEDULED_KEY = "results:opendata-build-scheduled"
_LOCK_ID = 0x0E0DA7A  # the advisory lock of the builds (any constant no other lock uses)


def _task_backend_defers():
    from django_tasks import task_backends

    from .tasks import build_open_data_files

    return task_backends[build_open_data_files.backend].supports_defer


def schedule_build():
    """Make sure a build runs after this change (one build for the changes of the next few seconds)."""
    if not _task_backend_defers():
        return  # built on demand by the download (current_file)
    delay = settings.OPEN_DATA_BUILD_DELAY_SECONDS
    if cache.add(SCHEDULED_KEY, True, delay):
        from eplus.core.tasks import enqueue_after_commit

        from .tasks import build_open_data_files

        run_after = timezone.now() + timedelta(seconds=delay)
        enqueue_after_commit(build_open_data_files.using(run_after=run_after))


def current_file(format):
    """The built file to serve for ``format``, or None when there is none yet (a build is then on its way).

    A file older than the public data is served while its rebuild waits in the queue; where tasks run
    in-process (demo), it is rebuilt first."""
    built = OpenDataFile.objects.filter(format=format).first()
    if built is not None and built.public_version == public_cache_version():
        return built
    if _task_backend_defers():
        schedule_build()
        return built
    from .tasks import build_open_data_files

    build_open_data_files.enqueue()
    return OpenDataFile.objects.filter(format=format).first()


def forget(built):
    """The stored file of ``built`` is missing: drop the row so the next download schedules a new build."""
    log.warning("open data: %s is missing from the storage; building it again", built.file.name)
    OpenDataFile.objects.filter(pk=built.pk).delete()
    schedule_build()


def file_answer(request, built):
    """The stored file as the download, with validators for conditional requests."""
    name, content_type, _writer = FORMATS[built.format]
    etag = f'"{built.sha256}"'
    modified = int(built.changed_at.timestamp())
    unchanged = get_conditional_response(request, etag=etag, last_modified=modified)
    if unchanged is not None:
        return unchanged
    response = file_response(built.file, filename=name, content_type=content_type, as_attachment=True, public=True)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    if not response.has_header("Content-Length") and response.status_code == 200:
        response["Content-Length"] = str(built.size)
    response["Link"] = f'<{opendata.LICENSE_URL}>; rel="license"'
    return response


@contextmanager
def _one_build_at_a_time():
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_ID])
        acquired = cur.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_ID])


def build_files(formats=tuple(FORMATS)):
    """Build the full files from the public projection now; returns {format: rows}, or None when another
    build is running (which then covers this one's changes, or schedules its own follow-up)."""
    with _one_build_at_a_time() as acquired:
        if not acquired:
            return None
        cache.delete(SCHEDULED_KEY)  # a change from now on schedules the next build
        version = public_cache_version()  # read before the data: a change during the build makes it stale
        site = settings.SITE_URL
        built = {}
        for format in formats:
            built[format] = _build_one(format, version, site)
        return built


def _write_csv(handle, site, tally):
    for piece in opendata.csv_chunks(site=site, tally=tally):
        handle.write(piece.encode("utf-8"))


def _build_one(format, version, site):
    _name, _type, write = FORMATS[format]
    tally = {"rows": 0}
    with tempfile.TemporaryFile(suffix=f".{format}") as handle:
        write(handle, site, tally)
        rows = tally["rows"]
        size = handle.seek(0, 2)
        digest = _sha256(handle)
        previous = OpenDataFile.objects.filter(format=format).first()
        now = timezone.now()
        if previous is not None and previous.sha256 == digest and default_storage.exists(previous.file.name):
            OpenDataFile.objects.filter(pk=previous.pk).update(built_at=now, public_version=version)
            return rows
        name = f"opendata/projects-{digest[:16]}.{format}"
        if default_storage.exists(name):  # left by a build that died before its swap
            default_storage.delete(name)
        handle.seek(0)
        stored = default_storage.save(name, File(handle, name=name))
    fields = {"file": stored, "sha256": digest, "size": size, "rows": rows, "changed_at": now, "built_at": now,
              "public_version": version}
    with transaction.atomic():
        OpenDataFile.objects.update_or_create(format=format, defaults=fields)
        if previous is not None and previous.file.name != stored:
            _schedule_deletion(previous.file.name)
    log.info("open data: built %s (%d rows, %d bytes)", format, rows, size)
    return rows


def _schedule_deletion(name):
    from eplus.core.tasks import enqueue_after_commit

    from .tasks import delete_replaced_open_data_file

    if not _task_backend_defers():  # the demo's in-process queue: nobody holds a redirect to it
        transaction.on_commit(lambda: delete_replaced(name))
        return
    run_after = timezone.now() + timedelta(seconds=settings.OPEN_DATA_REPLACED_FILE_KEEP_SECONDS)
    enqueue_after_commit(delete_replaced_open_data_file.using(run_after=run_after), name)


def delete_replaced(name):
    """Delete a replaced file, unless a later build made the same content current again (same name).

    Runs under the builds' lock, so no build is saving that name meanwhile; returns whether it deleted,
    or None when a build held the lock (the deletion is then tried again later)."""
    with _one_build_at_a_time() as acquired:
        if not acquired:
            _schedule_deletion(name)
            return None
        if OpenDataFile.objects.filter(file=name).exists():
            return False
        default_storage.delete(name)
        return True


def _sha256(handle):
    digest = hashlib.sha256()
    handle.seek(0)
    for block in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(block)
    return digest.hexdigest()
