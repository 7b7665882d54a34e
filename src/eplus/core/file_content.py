"""What an uploaded file really is, decided from its content, and whether it is safe to keep.

``sniff`` names the kind from the first bytes; the deep checks then open the file as that kind:
PDFs are parsed (pypdf) and refused with JavaScript, launch actions or embedded files; ZIP
containers (Office, OpenDocument, EPUB, H5P) are read from their central directory, named by what
they hold and refused when they would unpack too large (a zip bomb) or carry macros; plain text
that is HTML, SVG or other markup is refused; images are opened (Pillow) and their pixel count
bounded. Each check raises ``Refused`` with the user's message; nothing here knows about forms.
"""

import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

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
IMAGE_KINDS = ("png", "jpeg", "gif", "webp")

# Tags that make a browser treat text as a page (anywhere in the first bytes; text that starts with
# "<" is markup too).
MARKUP_MARKERS = (b"<!doctype", b"<html", b"<script", b"<iframe", b"<body")

# PDF names that make a viewer run code, start a program or hold another file (ISO 32000-1 §12.6,
# §7.11.4): as a key or as a value anywhere in the document.
PDF_SCRIPT_NAMES = {"/JS", "/JavaScript"}
PDF_LAUNCH_NAMES = {"/Launch"}
PDF_EMBEDDED_NAMES = {"/EmbeddedFiles", "/EmbeddedFile", "/FileAttachment", "/GoToE", "/RichMedia",
                      "/RichMediaExecute"}

# A 1 000-page report has some tens of thousands of objects.
MAX_PDF_OBJECTS = 200_000

# The UTF-16 name of the macro storage of Word, Excel and PowerPoint 97–2003 files (MS-OVBA §2.2).
OLE_MACRO_MARKER = "_VBA_PROJECT".encode("utf-16-le")


class Refused(Exception):
    """The file is not acceptable; ``str(exc)`` tells the user why and what to do."""


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
    """The kind of file the first bytes show, 'executable', or None if unknown."""
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


# --- text -----------------------------------------------------------------------------------

def check_text(head, name):
    """Refuse HTML, SVG, XML and other markup: a browser would run it, and it is never a text result."""
    sample = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if b"<svg" in sample:
        raise Refused(_("%(name)s is an SVG image. SVG files can carry scripts and are not accepted: "
                        "export the image as PNG or JPEG and upload that.") % {"name": name})
    if sample.startswith(b"<") or any(marker in sample for marker in MARKUP_MARKERS):
        raise Refused(_("%(name)s is a web page or other markup (HTML, XML). Web pages are not accepted as "
                        "files: save it as PDF, or give its address as the result's link.") % {"name": name})


# --- PDF ------------------------------------------------------------------------------------

def _pdf_names(value, seen, found):
    """Every name (keys and values) in a PDF object, following direct structure, not references."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if isinstance(value, NameObject):
        found.add(str(value))
    elif isinstance(value, DictionaryObject):
        if id(value) in seen:
            return
        seen.add(id(value))
        for key, item in value.items():
            found.add(str(key))
            _pdf_names(item, seen, found)
    elif isinstance(value, ArrayObject):
        for item in value:
            _pdf_names(item, seen, found)


def _pdf_objects(reader):
    """(number, generation) of every object the file's cross-reference tables list."""
    for generation, entries in reader.xref.items():
        for number in entries:
            yield number, generation
    for number in reader.xref_objStm:
        yield number, 0


def check_pdf(fileobj, name):
    """Parse every object of the PDF; refuse scripts, launch actions and embedded files.

    Objects are read one at a time and their streams dropped after, so memory stays at the size of
    the largest object, not of the file.
    """
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, StreamObject

    unreadable = Refused(_("%(name)s could not be read as a PDF document. Open it and save or export it "
                           "as PDF again, then upload the new file.") % {"name": name})
    fileobj.seek(0)
    found = set()
    try:
        reader = PdfReader(fileobj, strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            raise Refused(_("%(name)s is protected by a password. Save it without the password and upload it "
                            "again.") % {"name": name})
        _pdf_names(reader.trailer, set(), found)
        objects = list(_pdf_objects(reader))
        if len(objects) > MAX_PDF_OBJECTS:
            raise unreadable  # far beyond any real document: parsing it would hold a worker for minutes
        for number, generation in objects:
            value = reader.get_object(IndirectObject(number, generation, reader))
            _pdf_names(value, set(), found)
            if isinstance(value, StreamObject) and value.get("/Type") != "/ObjStm":
                reader.resolved_objects.pop((generation, number), None)
    except Refused:
        raise
    except Exception as exc:  # a parser fed hostile bytes can fail in any way: the file is unreadable
        raise unreadable from exc
    finally:
        fileobj.seek(0)
    if found & PDF_SCRIPT_NAMES:
        raise Refused(_("%(name)s contains JavaScript, which PDF files here may not carry. Print it to a new "
                        "PDF (or save it as PDF/A) and upload that.") % {"name": name})
    if found & PDF_LAUNCH_NAMES:
        raise Refused(_("%(name)s contains an action that starts another program. Print it to a new PDF and "
                        "upload that.") % {"name": name})
    if found & PDF_EMBEDDED_NAMES:
        raise Refused(_("%(name)s has files or media embedded in it. Remove the attachments (or print it to a "
                        "new PDF) and upload the attachments as files of their own.") % {"name": name})


def _opens_without_password(reader):
    from pypdf.errors import PyPdfError

    try:
        return bool(reader.decrypt(""))
    except (PyPdfError, NotImplementedError, ValueError):
        return False


# --- ZIP containers -------------------------------------------------------------------------

ZIP_SUBTYPE_BY_MEMBER = (
    ("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"),
    ("h5p.json", "h5p"),
)
ZIP_SUBTYPE_BY_MIMETYPE = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
    b"application/epub+zip": "epub",
}
MACRO_MEMBERS = ("vbaproject.bin", "vbadata.xml")
MACRO_FOLDERS = ("basic/", "scripts/")  # OpenDocument macros


def check_zip(fileobj, name):
    """The kind of ZIP container ('docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub', 'h5p' or 'zip').

    Refused: a damaged archive, more members than ``UPLOAD_ARCHIVE_MAX_MEMBERS``, more than
    ``UPLOAD_ARCHIVE_MAX_UNPACKED_BYTES`` unpacked, a member over 1 MB that unpacks more than
    ``UPLOAD_ARCHIVE_MAX_RATIO`` times its packed size (small members cannot make a bomb), member
    names that climb out of the folder they unpack to, and Office or OpenDocument files with macros.
    """
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            _check_zip_sizes(members, name)
            kind = _zip_kind(archive, {m.filename for m in members})
    except zipfile.BadZipFile as exc:
        raise Refused(_("%(name)s is a damaged ZIP archive. Make the archive again and upload it.")
                      % {"name": name}) from exc
    finally:
        fileobj.seek(0)
    lowered = [m.filename.lower() for m in members]
    if kind != "zip" and any(n.rsplit("/", 1)[-1] in MACRO_MEMBERS or n.startswith(MACRO_FOLDERS) for n in lowered):
        raise Refused(_("%(name)s contains macros. Save it as a document without macros (for example .docx "
                        "instead of .docm) and upload that.") % {"name": name})
    if any(n.startswith(("/", "\\")) or ".." in n.replace("\\", "/").split("/") for n in lowered):
        raise Refused(_("%(name)s has files whose names point outside the archive. Make the archive again "
                        "from a folder and upload it.") % {"name": name})
    return kind


def _check_zip_sizes(members, name):
    limit_members = settings.UPLOAD_ARCHIVE_MAX_MEMBERS
    limit_bytes = settings.UPLOAD_ARCHIVE_MAX_UNPACKED_BYTES
    limit_ratio = settings.UPLOAD_ARCHIVE_MAX_RATIO
    too_large = Refused(_("%(name)s would unpack to more than %(limit)s MB, or much more than its own size. "
                          "Archives that unpack that large are refused: split it into smaller archives.")
                        % {"name": name, "limit": limit_bytes // (1024 * 1024)})
    if len(members) > limit_members:
        raise Refused(_("%(name)s holds more than %(limit)s files. Split it into smaller archives.")
                      % {"name": name, "limit": limit_members})
    total = 0
    for member in members:
        total += member.file_size
        if total > limit_bytes:
            raise too_large
        if member.file_size > 1024 * 1024 and member.file_size > limit_ratio * max(member.compress_size, 1):
            raise too_large


def _zip_kind(archive, names):
    for member, kind in ZIP_SUBTYPE_BY_MEMBER:
        if member in names:
            return kind
    if "mimetype" in names:
        with archive.open("mimetype") as handle:
            return ZIP_SUBTYPE_BY_MIMETYPE.get(handle.read(100).strip(), "zip")
    return "zip"


# --- legacy Office ---------------------------------------------------------------------------

class OleMacroScanner:
    """Fed the file's chunks in order, notices the macro storage of a Word/Excel/PowerPoint 97 file."""

    def __init__(self):
        self.tail, self.found = b"", False

    def feed(self, chunk):
        if not self.found:
            window = self.tail + chunk
            self.found = OLE_MACRO_MARKER in window
            self.tail = window[-len(OLE_MACRO_MARKER):]

    def check(self, name):
        if self.found:
            raise Refused(_("%(name)s contains macros. Save it without macros (or as PDF) and upload that.")
                          % {"name": name})


# --- images ---------------------------------------------------------------------------------

def check_image(fileobj, name):
    """Open the image (header and structure) and bound its pixels (a decompression bomb is refused)."""
    from PIL import Image

    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            width, height = image.size
            if width * height > settings.UPLOAD_MAX_IMAGE_PIXELS:
                raise Refused(_("%(name)s is larger than %(limit)s megapixels. Make the image smaller and upload "
                                "it again.") % {"name": name, "limit": settings.UPLOAD_MAX_IMAGE_PIXELS // 1_000_000})
            image.verify()
    except Refused:
        raise
    except Exception as exc:  # as for PDFs: any failure of the parser means an unreadable image
        raise Refused(_("%(name)s could not be read as an image. Save it again as PNG or JPEG and upload it.")
                      % {"name": name}) from exc
    finally:
        fileobj.seek(0)

