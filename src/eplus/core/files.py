"""The one upload service of every upload field: application annexes, incident screenshots, report
declarations, signed agreements, result files and logos.

``check_upload`` reads the file once (size limit, SHA-256), decides its kind from the content, never
the name (``file_content``), checks it in depth for that kind and against the field's policy, and
answers a ``CheckedFile`` or a ValidationError telling the user what to upload instead.
``stored_upload`` writes it under a generated name (the user's name is kept for the download only)
with a marker that makes the sweep remove the file if its record never commits — a worker killed
between the two leaves no file without a record (docs/decisions/0007-pending-file-markers.md).
Files go back with ``file_response``: as attachments, with their checked type and ``nosniff``.
"""

import base64
import hashlib
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import file_content
from .file_content import IMAGE_KINDS, Refused, sniff  # noqa: F401 (sniff: part of this module's interface)

CHUNK = 1024 * 1024
HEAD = 4096
MAX_DOCUMENT_BYTES = 15 * 1024 * 1024  # annexes, declarations, agreements, screenshots (DOMAIN §5)
MAX_RESULT_FILE_BYTES = 100 * 1024 * 1024  # 100 MB per result file (DOMAIN §8)
MAX_LOGO_BYTES = 5 * 1024 * 1024

OOXML = "application/vnd.openxmlformats-officedocument"
# kind: (content type, the endings a file of that kind may have; the first is the one it is stored with)
KINDS = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "gif": ("image/gif", (".gif",)),
    "webp": ("image/webp", (".webp",)),
    "zip": ("application/zip", (".zip",)),
    "docx": (f"{OOXML}.wordprocessingml.document", (".docx",)),
    "xlsx": (f"{OOXML}.spreadsheetml.sheet", (".xlsx",)),
    "pptx": (f"{OOXML}.presentationml.presentation", (".pptx",)),
    "odt": ("application/vnd.oasis.opendocument.text", (".odt",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (".odp",)),
    "epub": ("application/epub+zip", (".epub",)),
    "h5p": ("application/zip", (".h5p",)),
    "ole": ("application/x-ole-storage", (".doc", ".xls", ".ppt")),
    "mp4": ("video/mp4", (".mp4", ".m4v", ".m4a", ".mov")),
    "mp3": ("audio/mpeg", (".mp3",)),
    "text": ("text/plain", (".txt", ".csv", ".md", ".tsv", ".srt", ".vtt")),
}
TYPE_BY_ENDING = {".doc": "application/msword", ".xls": "application/vnd.ms-excel",
                  ".ppt": "application/vnd.ms-powerpoint", ".csv": "text/csv"}


@dataclass(frozen=True)
class UploadPolicy:
    """What one upload field takes: the kinds (by content), the size limit and what to say otherwise."""

    kinds: tuple
    max_bytes: int
    not_allowed: str  # with %(name)s: what to upload instead
    names_must_fit: bool = False  # the name's ending must fit the content (public files keep their names)

    def too_large(self, name):
        return ValidationError(_("%(name)s is larger than %(limit)s MB. Make it smaller (or split it) and upload "
                                 "it again.") % {"name": name, "limit": self.max_bytes // (1024 * 1024)})


DOCUMENT = UploadPolicy(("pdf", "png", "jpeg"), MAX_DOCUMENT_BYTES,
                        gettext_lazy("%(name)s is not a PDF, PNG or JPEG file; upload one of those."))
SIGNED_PDF = UploadPolicy(("pdf",), MAX_DOCUMENT_BYTES, gettext_lazy("%(name)s is not a PDF file; upload the signed PDF."))
LOGO = UploadPolicy(IMAGE_KINDS, MAX_LOGO_BYTES, gettext_lazy("The logo must be a PNG, JPEG, GIF or WebP image."))
RESULT_FILE = UploadPolicy(
    tuple(kind for kind in KINDS), MAX_RESULT_FILE_BYTES,
    gettext_lazy("The type of %(name)s could not be recognised from its content. Allowed are PDF, images (PNG, JPEG, "
       "GIF, WebP), Office and OpenDocument files, ZIP archives, MP4 video, MP3 audio and plain text or CSV."),
    names_must_fit=True)


@dataclass(frozen=True)
class CheckedFile:
    name: str  # as the user called it (for the download), without any folder
    kind: str
    content_type: str
    size: int
    sha256: str
    ending: str  # the file's ending as stored, fitting its content

    @property
    def download_name(self):
        """The user's name, with the ending of its content added when the name says otherwise."""
        if os.path.splitext(self.name)[1].lower() in KINDS[self.kind][1]:
            return self.name
        return f"{self.name}{self.ending}"


def known_size(fileobj):
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = fileobj.tell()
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(position)
        return size
    except (AttributeError, OSError, ValueError):
        return None


def _read_whole(fileobj, name, policy):
    """(size, sha256, first bytes, macro scanner), reading in chunks and stopping past the limit."""
    digest, total, head, macros = hashlib.sha256(), 0, b"", file_content.OleMacroScanner()
    fileobj.seek(0)
    while chunk := fileobj.read(CHUNK):
        total += len(chunk)
        if total > policy.max_bytes:
            raise policy.too_large(name)
        if len(head) < HEAD:
            head += chunk[:HEAD - len(head)]
        digest.update(chunk)
        macros.feed(chunk)
    fileobj.seek(0)
    return total, digest.hexdigest(), head, macros


def _check_in_depth(fileobj, kind, name, head, macros):
    """The kind after looking inside (a ZIP becomes 'docx', 'epub', …); Refused when unsafe."""
    if kind == "pdf":
        file_content.check_pdf(fileobj, name)
    elif kind == "zip":
        kind = file_content.check_zip(fileobj, name)
    elif kind == "text":
        file_content.check_text(head, name)
    elif kind in IMAGE_KINDS:
        file_content.check_image(fileobj, name)
    elif kind == "ole":
        macros.check(name)
    return kind


def check_upload(fileobj, filename, policy, *, field=None):
    """Check one uploaded file against a field's policy; a CheckedFile, or ValidationError for the user
    (on the form field ``field`` when given)."""
    try:
        return _check(fileobj, filename, policy)
    except ValidationError as exc:
        if field:
            raise ValidationError({field: exc.messages}) from exc
        raise


def _check(fileobj, filename, policy):
    name = os.path.basename((filename or "file").replace("\\", "/"))[-255:] or "file"
    size = known_size(fileobj)
    if size is not None and size > policy.max_bytes:
        raise policy.too_large(name)
    size, digest, head, macros = _read_whole(fileobj, name, policy)
    if not size:
        raise ValidationError(_("%(name)s is empty. Choose the file again.") % {"name": name})
    kind = sniff(head)
    if kind == "executable" and policy.names_must_fit:  # a result: say why the file cannot be published
        raise ValidationError(_("%(name)s is a program or script, which cannot be uploaded. Upload a document, "
                                "image, video, audio file or archive instead.") % {"name": name})
    if kind not in policy.kinds:
        raise ValidationError(policy.not_allowed % {"name": name})
    try:
        kind = _check_in_depth(fileobj, kind, name, head, macros)
    except Refused as exc:
        raise ValidationError(str(exc)) from exc
    if kind not in policy.kinds:
        raise ValidationError(policy.not_allowed % {"name": name})
    ending = os.path.splitext(name)[1].lower()
    endings = KINDS[kind][1]
    if policy.names_must_fit and ending not in endings:
        raise ValidationError(_("The content of %(name)s is not what its name says: it is a %(kind)s file. "
                                "Rename it with one of these endings: %(endings)s.")
                              % {"name": name, "kind": kind.upper(), "endings": ", ".join(endings)})
    ending = ending if ending in endings else endings[0]
    return CheckedFile(name=name, kind=kind, content_type=TYPE_BY_ENDING.get(ending, KINDS[kind][0]), size=size,
                       sha256=digest, ending=ending)


# --- storing ----------------------------------------------------------------------------------

PENDING_PREFIX = "pending-uploads"


def _marker(name):
    return f"{PENDING_PREFIX}/{base64.urlsafe_b64encode(name.encode()).decode().rstrip('=')}"


def _marked_name(marker):
    encoded = marker.rsplit("/", 1)[-1]
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()


class StoredUpload:
    """A file written by ``stored_upload``: its stored ``name``; ``discard()`` when no record takes it."""

    def __init__(self, name):
        self.name, self.discarded = name, False

    def discard(self):
        self.discarded = True


@contextmanager
def pending_file(name, content, *, storage=None):
    """Save ``content`` (a django File) as ``name``, marked pending; yield it as a ``StoredUpload``.

    The caller writes the record that names the file inside the block (in a transaction of its own,
    or the one around the block), or calls ``discard()`` when it keeps none. The mark goes once the
    record has committed. When the block fails or discards, the file goes at once; when the process
    dies meanwhile, the sweep removes it (``sweep_pending_uploads``).
    """
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction

    storage = storage or default_storage
    markers = [storage.save(_marker(name), ContentFile(b""))]
    stored = None

    def unmark():
        for marker in markers:
            storage.delete(marker)

    try:
        stored = StoredUpload(storage.save(name, content))
        if stored.name != name:  # the storage chose another name: mark that one too
            markers.append(storage.save(_marker(stored.name), ContentFile(b"")))
        yield stored
    except BaseException:
        storage.delete(stored.name if stored else name)
        unmark()
        raise
    if stored.discarded:
        storage.delete(stored.name)
        unmark()
    else:
        transaction.on_commit(unmark)


def stored_upload(fileobj, checked, folder, *, storage=None):
    """``pending_file`` for a checked upload, under a generated name in ``folder`` (the user's name is
    kept on the record for the download only)."""
    from django.core.files import File

    name = f"{folder.strip('/')}/{uuid.uuid4().hex}{checked.ending}"
    fileobj.seek(0)
    return pending_file(name, File(fileobj, name=os.path.basename(name)), storage=storage)


def rows_to_render_again(queryset, field, made_at, now):
    """The primary keys of rows whose derived file (a receipt, a letter) is missing, for the sweep to
    render them again. Rows made (``made_at``, a datetime field) over ``ARTEFACT_REPAIR_AFTER_SECONDS``
    ago count when the field is empty — or, for those of the last ``ARTEFACT_RECHECK_DAYS``, when it
    names a file the storage does not have; those are emptied first, as their task renders only what
    is not there."""
    settled = queryset.filter(**{f"{made_at}__lt": now - timedelta(seconds=settings.ARTEFACT_REPAIR_AFTER_SECONDS)})
    recent = settled.filter(**{f"{made_at}__gte": now - timedelta(days=settings.ARTEFACT_RECHECK_DAYS)})
    storage = queryset.model._meta.get_field(field).storage
    missing = set(settled.filter(**{field: ""}).values_list("pk", flat=True))
    lost = [pk for pk, name in recent.exclude(**{field: ""}).values_list("pk", field) if not storage.exists(name)]
    queryset.model._default_manager.filter(pk__in=lost).update(**{field: ""})
    return sorted(missing.union(lost))


def _file_fields():
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field.name


def is_referenced(name):
    """Whether any record's file field holds this stored name."""
    return any(model._default_manager.filter(**{field: name}).exists() for model, field in _file_fields())


def sweep_pending_uploads(now, *, storage=None):
    """Remove files whose record never committed (a crash or kill between the two); clear old marks."""
    from django.core.files.storage import default_storage

    storage = storage or default_storage
    grace = timedelta(seconds=settings.UPLOAD_PENDING_GRACE_SECONDS)
    removed = cleared = 0
    try:
        _folders, markers = storage.listdir(PENDING_PREFIX)
    except FileNotFoundError:
        return {"orphan_uploads_removed": 0, "upload_marks_cleared": 0}
    for marker in markers:
        marker = f"{PENDING_PREFIX}/{marker}"
        if now - storage.get_modified_time(marker) < grace:
            continue  # an upload still on its way
        name = _marked_name(marker)
        if not is_referenced(name) and storage.exists(name):
            storage.delete(name)
            removed += 1
        storage.delete(marker)
        cleared += 1
    return {"orphan_uploads_removed": removed, "upload_marks_cleared": cleared}


def file_response(field, *, filename=None, content_type=None, as_attachment=True, public=False):
    """A stored file as the answer of a view that has checked the permission.

    On object storage (S3) the answer is a redirect to a link signed for a short time
    (``SIGNED_URL_SECONDS``), so the file goes from the store to the browser without passing through a
    web worker; the redirect of a private file is never cached. On the local disk the file is streamed.
    ``public``: anyone may read it (public results, logos), so the answer may be cached.
    """
    from django.http import FileResponse, HttpResponseRedirect
    from django.utils.http import content_disposition_header

    filename = filename or os.path.basename(field.name)
    storage = field.storage
    if _signs_links(storage):
        parameters = {"ResponseContentDisposition": content_disposition_header(as_attachment, filename)}
        if content_type:
            parameters["ResponseContentType"] = content_type
        response = HttpResponseRedirect(storage.url(field.name, parameters=parameters))
        lifetime = max(int(getattr(storage, "querystring_expire", 120)) // 2, 1)
        response["Cache-Control"] = f"public, max-age={lifetime}" if public else "private, no-store"
        return response
    response = FileResponse(field.open("rb"), as_attachment=as_attachment, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if response["Content-Type"] != "application/pdf":
        # Opened in the browser anyway (an image shown inline), a file runs nothing and reaches nothing
        # of ours. (Browsers show no PDF in a sandbox; PDFs are checked for scripts when uploaded.)
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    if public:
        response["Cache-Control"] = "public, max-age=300"
    return response


def _signs_links(storage):
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)
