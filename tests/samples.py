"""Sample files for upload tests and benchmarks: real, parseable PDFs (fictional content), built by hand
so that a test can put exactly the object it needs in them (a script, a launch action, an attachment).
"""

import io
import zipfile

CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s>>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


class Stream:
    """A stream object of ``size`` bytes: ``data`` repeated, or left as a hole (sparse) when None."""

    def __init__(self, size, data=b"0", dictionary=b""):
        self.size, self.data, self.dictionary = size, data, dictionary


def write_pdf(handle, catalog_extra=b"", objects=()):
    """Write a PDF with one blank page, ``catalog_extra`` in its catalog and more ``objects``
    (bytes of a direct object, or a Stream) to a binary file object; returns the bytes written."""
    start = handle.tell()
    handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    bodies = [CATALOG % catalog_extra, PAGES, PAGE, *objects]
    for number, body in enumerate(bodies, 1):
        offsets.append(handle.tell() - start)
        handle.write(b"%d 0 obj\n" % number)
        if isinstance(body, Stream):
            handle.write(b"<< /Length %d %s>>\nstream\n" % (body.size, body.dictionary))
            if body.data is None:
                handle.seek(body.size, io.SEEK_CUR)
            else:
                left = body.size
                block = body.data * max(1, (1 << 20) // len(body.data))
                while left > 0:
                    handle.write(block[:left])
                    left -= len(block)
            handle.write(b"\nendstream")
        else:
            handle.write(body)
        handle.write(b"\nendobj\n")
    xref = handle.tell() - start
    handle.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    for offset in offsets:
        handle.write(b"%010d 00000 n \n" % offset)
    handle.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref))
    return handle.tell() - start


def pdf(note=b"a fictional test document", catalog_extra=b"", objects=()):
    """The bytes of a small valid PDF."""
    out = io.BytesIO()
    write_pdf(out, catalog_extra, [b"(%s)" % note, *objects])
    return out.getvalue()


PDF = pdf()


def large_pdf(path, size, data=None):
    """A valid PDF of exactly ``size`` bytes at ``path``: 1 MB streams (holes when ``data`` is None)."""
    full = [Stream(1 << 20, data) for _ in range(max(0, size // ((1 << 20) + 64) - 1))]
    last = 0
    for _attempt in range(6):
        with open(path, "wb") as handle:
            written = write_pdf(handle, objects=[*full, Stream(last, data)])
            handle.truncate()
        if written == size:
            return path
        last += size - written
    raise ValueError(f"could not make a PDF of {size} bytes")


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    """A ZIP archive of ``{name: bytes}``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_bytes(extra=None):
    """A minimal Office Open XML word document (enough for its kind to be recognised)."""
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", **(extra or {})})


def png_bytes(size=(40, 30)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (0, 51, 153)).save(out, format="PNG")
    return out.getvalue()
