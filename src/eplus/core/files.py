"""What a file is, decided by its content (first bytes), never by its name — for every upload:
application annexes, incident screenshots, report declarations, signed agreements, result files, logos.

Executables and scripts are refused whatever they are called.
"""

import hashlib
import os

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_DOCUMENT_BYTES = 15 * 1024 * 1024  # annexes, declarations, agreements, screenshots (DOMAIN §5)
DOCUMENT_KINDS = ("pdf", "png", "jpeg")

# kind: (content type, extensions that may carry it)
KINDS = {
    "pdf": ("application/pdf", {".pdf"}),
    "png": ("image/png", {".png"}),
    "jpeg": ("image/jpeg", {".jpg", ".jpeg"}),
    "gif": ("image/gif", {".gif"}),
    "webp": ("image/webp", {".webp"}),
    "zip": ("application/zip", {".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".epub", ".h5p"}),
    "ole": ("application/x-ole-storage", {".doc", ".xls", ".ppt"}),
    "mp4": ("video/mp4", {".mp4", ".m4v", ".m4a", ".mov"}),
    "mp3": ("audio/mpeg", {".mp3"}),
    "text": ("text/plain", {".txt", ".csv", ".md", ".tsv", ".srt", ".vtt"}),
}
OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
    ".epub": "application/epub+zip",
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".csv": "text/csv",
}

EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux and other Unix
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal (and Java class files)
    b"#!",  # scripts with an interpreter line
    b"\x00asm",  # WebAssembly
)


# Signatures at the start of the file: (prefixes, kind), first match wins.
SIGNATURES = (
    ((b"%PDF-",), "pdf"),
    ((b"\x89PNG\r\n\x1a\n",), "png"),
    ((b"\xff\xd8\xff",), "jpeg"),
    ((b"GIF87a", b"GIF89a"), "gif"),
    ((b"PK\x03\x04", b"PK\x05\x06"), "zip"),
    ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), "ole"),
    ((b"ID3",), "mp3"),
)


def _looks_like_text(head):
    if not head or b"\x00" in head:
        return False
    text = head.lstrip(b"\xef\xbb\xbf")
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(text) - 4
    return True


def sniff(head):
    """The kind of file the first bytes show (a key of KINDS), 'executable', or None if unknown."""
    if head.startswith(EXECUTABLE_MAGIC):
        return "executable"
    for prefixes, kind in SIGNATURES:
        if head.startswith(prefixes):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        return "mp4"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:  # an MPEG audio frame
        return "mp3"
    return "text" if _looks_like_text(head) else None


def check_content(head, filename):
    """(content type) for an allowed file whose name fits its content; ValidationError otherwise."""
    kind = sniff(head)
    extension = os.path.splitext(filename or "")[1].lower()
    if kind == "executable":
        raise ValidationError(_("%(name)s is a program or script, which cannot be published as a result. "
                                "Upload a document, image, video, audio file or archive instead.")
                              % {"name": filename})
    if kind is None:
        raise ValidationError(_("The type of %(name)s could not be recognised from its content. Allowed are "
                                "PDF, images (PNG, JPEG, GIF, WebP), Office and OpenDocument files, ZIP "
                                "archives, MP4 video, MP3 audio and plain text or CSV.") % {"name": filename})
    content_type, extensions = KINDS[kind]
    if extension not in extensions:
        raise ValidationError(_("The content of %(name)s is not what its name says: it is a %(kind)s file. "
                                "Rename it with one of these endings: %(endings)s.")
                              % {"name": filename, "kind": kind.upper(), "endings": ", ".join(sorted(extensions))})
    return OFFICE_TYPES.get(extension, content_type)


def _too_large(uploaded):
    return ValidationError(_("%(name)s is larger than 15 MB; upload a smaller file.") % {"name": uploaded.name})


def check_document(uploaded, not_allowed_message):
    """``(content type, size, sha256)`` of an uploaded PDF, PNG or JPEG, read in chunks.

    ``not_allowed_message`` (with ``%(name)s``) says what to upload instead when the content is
    another kind of file.
    """
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise _too_large(uploaded)
    digest, total, head = hashlib.sha256(), 0, b""
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        if len(head) < 16:
            head += chunk[:16]
        total += len(chunk)
        if total > MAX_DOCUMENT_BYTES:
            raise _too_large(uploaded)
        digest.update(chunk)
    uploaded.seek(0)
    kind = sniff(head)
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(not_allowed_message % {"name": uploaded.name})
    return KINDS[kind][0], total, digest.hexdigest()


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
    if public:
        response["Cache-Control"] = "public, max-age=300"
    return response


def _signs_links(storage):
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)
