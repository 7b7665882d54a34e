import hashlib
import io
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eplus.results import editing
from eplus.results.models import ResultFile
from eplus.core.files import RESULT_FILE, check_upload, sniff
from eplus.results.uploads import MAX_RESULT_FILE_BYTES, LimitedUploadHandler

from tests.samples import Stream, docx_bytes, large_pdf, pdf, png_bytes

from .conftest import add_result

LIMIT = 100 * 1024 * 1024


def _sparse_pdf(path, size):
    return large_pdf(path, size)  # a real PDF of 1 MB streams left as holes: quick to write, parsed whole


def _sha(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_limit_is_exactly_100_mib():
    assert MAX_RESULT_FILE_BYTES == LIMIT == 104_857_600


def test_a_100_mb_file_is_accepted_streamed_and_hashed(card, coordinator_user, tmp_path):
    result = add_result(card, coordinator_user)
    path = _sparse_pdf(tmp_path / "big.pdf", LIMIT)
    tracemalloc.start()
    with open(path, "rb") as f:
        record = editing.add_result_file(result, f, "big.pdf", coordinator_user)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"the upload used {peak} bytes of memory"
    assert record.size == LIMIT
    assert record.sha256 == _sha(path)
    assert record.content_type == "application/pdf"
    assert record.file.size == LIMIT


def test_100_mb_plus_one_byte_is_refused_with_a_clear_message(card, coordinator_user, tmp_path):
    result = add_result(card, coordinator_user)
    path = _sparse_pdf(tmp_path / "too-big.pdf", LIMIT + 1)
    with open(path, "rb") as f, pytest.raises(ValidationError) as exc:
        editing.add_result_file(result, f, "too-big.pdf", coordinator_user)
    assert "larger than 100 MB" in exc.value.messages[0]
    assert "too-big.pdf" in exc.value.messages[0]
    assert not ResultFile.objects.exists()


def test_limit_enforced_while_streaming_when_size_is_unknown(card, coordinator_user):
    class Unsized(io.RawIOBase):
        """A stream that does not tell its size: the limit is enforced as bytes pass."""

        def __init__(self, total):
            self.total, self.pos = total, 0

        def readable(self):
            return True

        def seek(self, offset, whence=0):
            if offset == 0 and whence == 0:
                self.pos = 0
                return 0
            raise io.UnsupportedOperation

        def tell(self):
            raise io.UnsupportedOperation

        def read(self, n=-1):
            n = min(n if n and n > 0 else 1 << 20, self.total - self.pos)
            data = (b"%PDF-1.4\n" + b"x" * n)[:n] if self.pos == 0 else b"x" * n
            self.pos += n
            return data

    result = add_result(card, coordinator_user)
    with pytest.raises(ValidationError, match="larger than 100 MB"):
        editing.add_result_file(result, Unsized(LIMIT + 1), "stream.pdf", coordinator_user)
    assert not ResultFile.objects.exists()


@pytest.mark.parametrize("head", [
    b"MZ\x90\x00\x03\x00\x00\x00",  # Windows executable
    b"\x7fELF\x02\x01\x01\x00",  # Linux executable
    b"\xcf\xfa\xed\xfe\x07\x00\x00\x01",  # Mach-O
    b"#!/bin/sh\nrm -rf /\n",  # script
])
def test_executable_renamed_pdf_is_refused(card, coordinator_user, head):
    result = add_result(card, coordinator_user)
    with pytest.raises(ValidationError, match="program or script"):
        editing.add_result_file(result, io.BytesIO(head + b"\x00" * 100), "report.pdf", coordinator_user)
    assert not ResultFile.objects.exists()


def test_content_and_name_must_agree():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    assert sniff(png) == "png"
    with pytest.raises(ValidationError, match="not what its name says"):
        check_upload(io.BytesIO(pdf()), "report.png", RESULT_FILE)
    assert check_upload(io.BytesIO(pdf()), "report.pdf", RESULT_FILE).content_type == "application/pdf"
    assert check_upload(io.BytesIO(docx_bytes()), "guide.docx", RESULT_FILE).content_type.endswith(
        "wordprocessingml.document")
    assert check_upload(io.BytesIO(b"name;country\nA;LV\n"), "list.csv", RESULT_FILE).content_type == "text/csv"
    with pytest.raises(ValidationError, match="could not be recognised"):
        check_upload(io.BytesIO(b"\x00\x01\x02\x03binary"), "thing.bin", RESULT_FILE)


def test_logo_checked_and_thumbnail_made(card, coordinator_user):
    from PIL import Image

    editing.set_logo(card, io.BytesIO(png_bytes((400, 300))), "logo.png", coordinator_user)
    card.refresh_from_db()
    assert card.logo and card.logo_thumbnail
    with card.logo_thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) <= 240
    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        editing.set_logo(card, io.BytesIO(pdf()), "logo.png", coordinator_user)
    with pytest.raises(ValidationError, match="could not be read"):
        editing.set_logo(card, io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10), "logo.png", coordinator_user)


def _login(client, user):
    client.force_login(user)


def test_upload_through_the_view_end_to_end(client, card, coordinator_user):
    _login(client, coordinator_user)
    body = pdf(b"a small fictional result", objects=[Stream(5000, b"x")])
    response = client.post(reverse("results:result_add", args=[card.identifier]), {
        "title": "Teacher guide", "result_type": "handbook", "description_en": "A guide for teachers.",
        "link": "", "public": "on", "file": SimpleUploadedFile("guide.pdf", body, "application/pdf"),
    })
    assert response.status_code == 302
    record = ResultFile.objects.get()
    assert record.original_name == "guide.pdf" and record.size == len(body)
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.result.title == "Teacher guide" and record.result.public


def test_view_refuses_a_renamed_executable_and_keeps_what_was_typed(client, card, coordinator_user):
    _login(client, coordinator_user)
    response = client.post(reverse("results:result_add", args=[card.identifier]), {
        "title": "Sneaky", "result_type": "handbook", "description_en": "Typed text stays.",
        "public": "on", "file": SimpleUploadedFile("report.pdf", b"MZ\x90\x00" + b"\x00" * 200),
    })
    assert response.status_code == 400
    text = response.content.decode()
    assert "program or script" in text and "Typed text stays." in text
    assert not card.results.exists()


def test_view_refuses_too_large_files_while_receiving(client, card, coordinator_user, monkeypatch):
    monkeypatch.setattr(LimitedUploadHandler, "limit", 1000)
    _login(client, coordinator_user)
    result = add_result(card, coordinator_user)
    response = client.post(reverse("results:file_add", args=[card.identifier, result.pk]), {
        "file": SimpleUploadedFile("big.pdf", pdf(objects=[Stream(5000, b"x")])),
    })
    assert response.status_code == 400
    assert "larger than 100 MB" in response.content.decode()
    assert not ResultFile.objects.exists()


def test_handler_refuses_from_content_length_before_writing(rf):
    request = rf.post("/")
    handler = LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, LIMIT * 2, b"x")
    from django.core.files.uploadhandler import SkipFile

    with pytest.raises(SkipFile):
        handler.new_file("file", "huge.mp4", "video/mp4", None)
    assert request.results_too_large == ["huge.mp4"]
