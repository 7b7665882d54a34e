import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from eplus.core.files import MAX_DOCUMENT_BYTES, check_document, sniff

NOT_ALLOWED = "%(name)s is not a PDF, PNG or JPEG file."


@pytest.mark.parametrize("head, kind", [
    (b"%PDF-1.7", "pdf"), (b"\x89PNG\r\n\x1a\n....", "png"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"GIF89a", "gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x00\x00\x00\x18ftypmp42", "mp4"), (b"ID3\x03", "mp3"), (b"\xff\xfb\x90\x64", "mp3"),
    (b"\xef\xbb\xbfname;country\n", "text"), ("Rīga".encode()[:2], "text"),
    (b"MZ\x90\x00", "executable"), (b"#!/bin/sh\n", "executable"), (b"\x7fELF", "executable"),
    (b"\x00\x01\x02binary", None), (b"", None),
])
def test_sniff_decides_by_the_first_bytes(head, kind):
    assert sniff(head) == kind


def test_check_document_takes_pdf_png_jpeg_with_size_and_hash():
    content_type, size, digest = check_document(SimpleUploadedFile("scan.bin", b"%PDF-1.4 body"), NOT_ALLOWED)
    assert (content_type, size, len(digest)) == ("application/pdf", 13, 64)


@pytest.mark.parametrize("body", [b"GIF89a....", b"<html><script>", b"MZ\x90\x00"])
def test_check_document_refuses_other_kinds_with_the_callers_message(body):
    with pytest.raises(ValidationError, match="notes.pdf is not a PDF, PNG or JPEG file"):
        check_document(SimpleUploadedFile("notes.pdf", body), NOT_ALLOWED)


def test_check_document_refuses_past_the_limit_even_without_a_declared_size():
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (MAX_DOCUMENT_BYTES - 4))
    upload.size = None
    with pytest.raises(ValidationError, match="larger than 15 MB"):
        check_document(upload, NOT_ALLOWED)
