"""Result files and logos: size limits, content sniffing, streaming to storage with SHA-256.

Files are never read into memory whole: they are copied to storage in chunks while their SHA-256 is
computed; the limit is enforced as the bytes pass (and from Content-Length before, where known).
File types are decided by the first bytes of the content, not by the name; executables and
scripts are refused whatever they are called.
"""

import hashlib
import io
import os
import uuid

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from eplus.core.files import KINDS, check_content, sniff

MAX_RESULT_FILE_BYTES = 100 * 1024 * 1024  # 100 MB per file (DOMAIN §8)
MAX_LOGO_BYTES = 5 * 1024 * 1024
MAX_LOGO_PIXELS = 40_000_000
THUMBNAIL_SIZE = (240, 240)
CHUNK = 1024 * 1024
HEAD = 4096
# Multipart framing and the other form fields on top of the file itself.
MULTIPART_SLACK = 1024 * 1024


class FileTooLarge(ValidationError):
    pass


def too_large_message(name=""):
    if name:
        return _("The file %(name)s is larger than 100 MB. Each file may be at most 100 MB "
                 "(104 857 600 bytes): make it smaller or split it, then upload it again.") % {"name": name}
    return _("The file is larger than 100 MB. Each file may be at most 100 MB (104 857 600 bytes): "
             "make it smaller or split it, then upload it again.")


# --- streaming ------------------------------------------------------------------------------

class _HashingReader(io.RawIOBase):
    """Reads a file object in chunks, hashing and counting; refuses to go past ``limit`` bytes."""

    def __init__(self, source, limit, name):
        self.source, self.limit, self.name = source, limit, name
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self):
        return True

    def seek(self, offset, whence=0):
        if offset == 0 and whence == 0 and self.size == 0:
            self.source.seek(0)
            return 0
        raise io.UnsupportedOperation("forward-only")

    def read(self, n=-1):
        data = self.source.read(CHUNK if n is None or n < 0 else n)
        self.size += len(data)
        if self.size > self.limit:
            raise FileTooLarge(too_large_message(self.name))
        self.sha.update(data)
        return data


def _known_size(fileobj):
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    try:
        position = fileobj.tell()
        fileobj.seek(0, os.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(position)
        return size
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


def stream_to_storage(fileobj, filename, directory, *, limit=MAX_RESULT_FILE_BYTES, storage=None):
    """Check and copy one file to storage in chunks. Returns (stored name, size, sha256, content type).

    Raises ValidationError (with a message for the user) for a file that is too large, empty,
    an executable, of an unknown type, or whose name does not fit its content.
    """
    storage = storage or default_storage
    filename = os.path.basename(filename or "file")
    size = _known_size(fileobj)
    if size is not None and size > limit:
        raise FileTooLarge(too_large_message(filename))
    fileobj.seek(0)
    head = fileobj.read(HEAD)
    if not head:
        raise ValidationError(_("%(name)s is empty. Choose the file again.") % {"name": filename})
    content_type = check_content(head, filename)
    fileobj.seek(0)
    reader = _HashingReader(fileobj, limit, filename)
    target = f"{directory.rstrip('/')}/{uuid.uuid4().hex}/{filename}"
    stored = None
    try:
        stored = storage.save(target, File(reader, name=filename))
    except FileTooLarge:
        if storage.exists(target):
            storage.delete(target)
        raise
    return stored, reader.size, reader.sha.hexdigest(), content_type


# --- logos ----------------------------------------------------------------------------------

def process_logo(fileobj, filename):
    """Check an uploaded logo and make its thumbnail. Returns (logo ContentFile-ready File, thumbnail ContentFile)."""
    from PIL import Image, UnidentifiedImageError

    size = _known_size(fileobj)
    if size is not None and size > MAX_LOGO_BYTES:
        raise ValidationError(_("The logo is larger than 5 MB. Upload a smaller image."))
    fileobj.seek(0)
    head = fileobj.read(HEAD)
    kind = sniff(head)
    if kind not in ("png", "jpeg", "gif", "webp"):
        raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
    fileobj.seek(0)
    try:
        Image.MAX_IMAGE_PIXELS = MAX_LOGO_PIXELS
        with Image.open(fileobj) as image:
            image.verify()
        fileobj.seek(0)
        with Image.open(fileobj) as image:
            image.load()
            thumb = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image.copy()
            thumb.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            thumb.save(out, format="PNG")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError) as exc:
        raise ValidationError(_("The logo could not be read as an image. Upload a PNG, JPEG, GIF or WebP image.")) \
            from exc
    fileobj.seek(0)
    extension = {"png": ".png", "jpeg": ".jpg", "gif": ".gif", "webp": ".webp"}[kind]
    base = uuid.uuid4().hex
    return (File(fileobj, name=f"{base}{extension}"), ContentFile(out.getvalue(), name=f"{base}-thumb.png"),
            KINDS[kind][0])


# --- the upload handler ----------------------------------------------------------------------

class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Spools every uploaded file to a temporary file on disk (never memory) and skips any file
    that goes past the limit, noting it on the request so the view can say so clearly.

    When the whole request's Content-Length is already over the limit, nothing is written at all.
    """

    limit = MAX_RESULT_FILE_BYTES

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request.results_too_large = []
        self.whole_request_too_large = bool(content_length and content_length > self.limit + MULTIPART_SLACK)
        return None

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.received = 0
        self.skipping = False
        if getattr(self, "whole_request_too_large", False):
            self.request.results_too_large.append(file_name)
            self.skipping = True
            raise SkipFile()
        return super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.results_too_large.append(self.file_name)
            self.file.close()
            raise SkipFile()
        return super().receive_data_chunk(raw_data, start)
