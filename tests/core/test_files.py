"""The one upload service (core.files, core.file_content): kinds by content, checks in depth, field
policies, generated names, pending marks and the sweep of orphans, and how files go back."""

import io
import os
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eplus.core.files import (
    DOCUMENT, LOGO, MAX_DOCUMENT_BYTES, PENDING_PREFIX, RESULT_FILE, SIGNED_PDF, check_upload, file_response,
    sniff, stored_upload, sweep_pending_uploads,
)
from tests.samples import PDF, Stream, docx_bytes, pdf, png_bytes, zip_bytes


def upload(name, body):
    return SimpleUploadedFile(name, body)


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


def test_a_document_is_checked_hashed_and_keeps_a_download_name_that_fits():
    checked = check_upload(upload("scan.bin", PDF), "scan.bin", DOCUMENT)
    assert (checked.kind, checked.content_type, checked.size, len(checked.sha256)) == (
        "pdf", "application/pdf", len(PDF), 64)
    assert checked.download_name == "scan.bin.pdf" and checked.ending == ".pdf"
    assert check_upload(upload("scan.PDF", PDF), "C:\\Users\\x\\scan.PDF", DOCUMENT).download_name == "scan.PDF"


@pytest.mark.parametrize("name, body", [
    ("notes.pdf", b"GIF89a...."), ("notes.pdf", b"<html><script>alert(1)</script>"), ("notes.pdf", b"MZ\x90\x00"),
])
def test_a_document_of_another_kind_is_refused_with_the_fields_message(name, body):
    with pytest.raises(ValidationError, match="notes.pdf is not a PDF, PNG or JPEG file|program or script"):
        check_upload(upload(name, body), name, DOCUMENT)


def test_the_limit_holds_without_a_declared_size_and_the_field_gets_the_error():
    big = upload("big.pdf", b"%PDF-" + b"0" * (MAX_DOCUMENT_BYTES - 4))
    big.size = None
    with pytest.raises(ValidationError) as exc:
        check_upload(big, "big.pdf", DOCUMENT, field="file")
    assert "larger than 15 MB" in exc.value.message_dict["file"][0]


# --- HTML and SVG are never accepted --------------------------------------------------------

@pytest.mark.parametrize("name, body, message", [
    ("page.html", b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
    ("notes.txt", b"\xef\xbb\xbf  <html><script>alert(1)</script>", "web page"),
    ("notes.txt", b"Some text first, then <script>fetch('/')</script>", "web page"),
    ("data.csv", b"<?xml version='1.0'?><x/>", "web page"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG"),
    ("logo.txt", b"<?xml version='1.0'?>\n<svg onload='alert(1)'/>", "SVG"),
])
def test_html_svg_and_markup_are_refused_as_results(name, body, message):
    with pytest.raises(ValidationError, match=message):
        check_upload(upload(name, body), name, RESULT_FILE)


def test_plain_text_and_csv_are_results():
    assert check_upload(upload("list.csv", b"name;country\nA;LV\n"), "list.csv", RESULT_FILE).content_type == "text/csv"
    assert check_upload(upload("a.txt", b"1 < 2 and 3 > 2"), "a.txt", RESULT_FILE).content_type == "text/plain"


# --- PDFs are parsed ------------------------------------------------------------------------

@pytest.mark.parametrize("extra, objects, message", [
    (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ", (), "JavaScript"),
    (b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> ", (), "JavaScript"),  # names written in hex
    (b"/Names << /JavaScript 5 0 R >> ", (b"<< /Names [(a) 6 0 R] >>", b"<< /S /JavaScript /JS (x) >>"), "JavaScript"),
    (b"/AA << /WC 5 0 R >> ", (b"<< /S /Launch /F (cmd.exe) >>",), "starts another program"),
    (b"/Names << /EmbeddedFiles 5 0 R >> ", (b"<< /Names [(a.exe) 6 0 R] >>", b"<< /Type /Filespec /F (a.exe) >>"),
     "embedded"),
    (b"", (Stream(4, b"MZMZ", b"/Type /EmbeddedFile "),), "embedded"),
])
def test_pdfs_with_scripts_launch_actions_or_embedded_files_are_refused(extra, objects, message):
    body = pdf(catalog_extra=extra, objects=objects)
    for policy in (DOCUMENT, SIGNED_PDF, RESULT_FILE):
        with pytest.raises(ValidationError, match=message):
            check_upload(upload("report.pdf", body), "report.pdf", policy)


def test_pdfs_made_by_a_pdf_library_with_javascript_or_an_attachment_are_refused():
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    for add in (lambda w: w.add_open_action(JavaScript("app.alert('hello');")),
                lambda w: w.add_attachment("notes.txt", b"fictional")):
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        add(writer)
        out = io.BytesIO()
        writer.write(out)
        with pytest.raises(ValidationError, match="JavaScript|embedded"):
            check_upload(upload("made.pdf", out.getvalue()), "made.pdf", RESULT_FILE)


def test_a_pdf_that_cannot_be_parsed_or_opened_is_refused():
    from pypdf import PdfWriter

    with pytest.raises(ValidationError, match="could not be read as a PDF"):
        check_upload(upload("broken.pdf", b"%PDF-1.4 and nothing else"), "broken.pdf", DOCUMENT)
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("fictional-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match="protected by a password"):
        check_upload(upload("locked.pdf", out.getvalue()), "locked.pdf", DOCUMENT)


def test_a_plain_pdf_made_by_a_pdf_library_is_accepted():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": "A fictional handbook"})
    out = io.BytesIO()
    writer.write(out)
    assert check_upload(upload("handbook.pdf", out.getvalue()), "handbook.pdf", SIGNED_PDF).kind == "pdf"


# --- archives -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gigabyte_bomb(tmp_path_factory):
    """1 GiB of zeros packed into ~5 MB: the zip bomb the review uploaded as a public result."""
    path = tmp_path_factory.mktemp("bomb") / "results.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("data.bin", "w", force_zip64=True) as member:
            block = bytes(1 << 20)
            for _ in range(1024):
                member.write(block)
    return path


def test_a_zip_bomb_is_refused(gigabyte_bomb):
    with open(gigabyte_bomb, "rb") as handle, pytest.raises(ValidationError, match="unpack"):
        check_upload(handle, "results.zip", RESULT_FILE)


def test_an_archive_whose_member_unpacks_far_beyond_its_size_is_refused(settings):
    body = zip_bytes({"zeros.bin": bytes(5 << 20)})  # 5 MB that packs to a few KB
    with pytest.raises(ValidationError, match="unpack"):
        check_upload(upload("small-bomb.zip", body), "small-bomb.zip", RESULT_FILE)
    settings.UPLOAD_ARCHIVE_MAX_RATIO = 10_000
    assert check_upload(upload("small-bomb.zip", body), "small-bomb.zip", RESULT_FILE).kind == "zip"


def test_archives_with_too_many_members_or_names_out_of_the_folder_are_refused(settings):
    settings.UPLOAD_ARCHIVE_MAX_MEMBERS = 3
    with pytest.raises(ValidationError, match="more than 3 files"):
        check_upload(upload("many.zip", zip_bytes({f"{n}.txt": b"x" for n in range(4)})), "many.zip", RESULT_FILE)
    with pytest.raises(ValidationError, match="outside the archive"):
        check_upload(upload("slip.zip", zip_bytes({"../../etc/cron.d/x": b"x"})), "slip.zip", RESULT_FILE)


def test_office_files_are_named_by_what_they_hold_and_refused_with_macros():
    docx = check_upload(upload("guide.docx", docx_bytes()), "guide.docx", RESULT_FILE)
    assert docx.kind == "docx" and docx.content_type.endswith("wordprocessingml.document")
    with pytest.raises(ValidationError, match="not what its name says"):
        check_upload(upload("guide.zip", docx_bytes()), "guide.zip", RESULT_FILE)
    with pytest.raises(ValidationError, match="not what its name says"):
        check_upload(upload("plain.docx", zip_bytes({"a.txt": b"x"})), "plain.docx", RESULT_FILE)
    with pytest.raises(ValidationError, match="macros"):
        check_upload(upload("guide.docx", docx_bytes({"word/vbaProject.bin": b"\x00" * 10})), "guide.docx",
                     RESULT_FILE)
    odt = zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"},
                    zipfile.ZIP_STORED)
    assert check_upload(upload("text.odt", odt), "text.odt", RESULT_FILE).kind == "odt"
    with pytest.raises(ValidationError, match="damaged ZIP"):
        check_upload(upload("cut.zip", docx_bytes()[:40]), "cut.zip", RESULT_FILE)


def test_a_word_97_file_with_macros_is_refused():
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * ((1 << 20) - 10)  # the marker spans two chunks
    body = head + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 100
    with pytest.raises(ValidationError, match="macros"):
        check_upload(upload("letter.doc", body), "letter.doc", RESULT_FILE)
    plain = check_upload(upload("letter.doc", head), "letter.doc", RESULT_FILE)
    assert plain.content_type == "application/msword"


# --- images ---------------------------------------------------------------------------------

def test_images_are_opened_and_their_pixels_bounded(settings):
    assert check_upload(upload("shot.png", png_bytes()), "shot.png", DOCUMENT).content_type == "image/png"
    with pytest.raises(ValidationError, match="could not be read as an image"):
        check_upload(upload("shot.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10), "shot.png", DOCUMENT)
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1000  # a 40 × 30 image is over it
    with pytest.raises(ValidationError, match="megapixels"):
        check_upload(upload("logo.png", png_bytes()), "logo.png", LOGO)


# --- stored under generated names, marked until the record commits ---------------------------

def _markers():
    try:
        return default_storage.listdir(PENDING_PREFIX)[1]
    except FileNotFoundError:
        return []


@pytest.mark.django_db(transaction=True)
def test_a_stored_upload_gets_a_generated_name_and_its_mark_goes_after_the_commit():
    checked = check_upload(upload("../../evil name.html.pdf", PDF), "../../evil name.html.pdf", DOCUMENT)
    with stored_upload(upload("x", PDF), checked, "tests/uploads") as stored:
        assert len(_markers()) == 1
    assert stored.name.startswith("tests/uploads/") and stored.name.endswith(".pdf")
    assert "evil" not in stored.name and len(os.path.basename(stored.name)) == 36
    assert default_storage.exists(stored.name) and _markers() == []
    default_storage.delete(stored.name)


@pytest.mark.django_db(transaction=True)
def test_a_failed_or_discarded_upload_leaves_no_file_and_no_mark():
    checked = check_upload(upload("a.pdf", PDF), "a.pdf", DOCUMENT)
    with pytest.raises(RuntimeError), stored_upload(upload("a.pdf", PDF), checked, "tests/uploads") as stored:
        raise RuntimeError("the record could not be saved")
    assert not default_storage.exists(stored.name) and _markers() == []
    with stored_upload(upload("a.pdf", PDF), checked, "tests/uploads") as again:
        again.discard()
    assert not default_storage.exists(again.name) and _markers() == []


@pytest.mark.django_db(transaction=True)
def test_the_sweep_removes_a_file_whose_record_never_committed_and_keeps_referenced_ones(monkeypatch):
    from eplus.core import files

    checked = check_upload(upload("a.pdf", PDF), "a.pdf", DOCUMENT)
    orphan = default_storage.save(files._marker("tests/uploads/orphan.pdf"), ContentFile(b""))
    default_storage.save("tests/uploads/orphan.pdf", ContentFile(PDF))
    monkeypatch.setattr(files, "is_referenced", lambda name: name == "tests/uploads/kept.pdf")
    default_storage.save(files._marker("tests/uploads/kept.pdf"), ContentFile(b""))
    default_storage.save("tests/uploads/kept.pdf", ContentFile(PDF))
    assert sweep_pending_uploads(timezone.now()) == {"orphan_uploads_removed": 0, "upload_marks_cleared": 0}
    later = timezone.now() + timedelta(hours=2)
    assert sweep_pending_uploads(later) == {"orphan_uploads_removed": 1, "upload_marks_cleared": 2}
    assert not default_storage.exists("tests/uploads/orphan.pdf") and not default_storage.exists(orphan)
    assert default_storage.exists("tests/uploads/kept.pdf") and _markers() == []
    assert sweep_pending_uploads(later) == {"orphan_uploads_removed": 0, "upload_marks_cleared": 0}
    default_storage.delete("tests/uploads/kept.pdf")
    assert checked.kind == "pdf"


# --- files go back as attachments, typed, never sniffed --------------------------------------

@pytest.mark.django_db
def test_file_responses_are_attachments_with_nosniff_and_a_sandbox():
    from eplus.results.models import ProjectCard

    name = default_storage.save("tests/serve/x.png", ContentFile(png_bytes()))
    field = ProjectCard._meta.get_field("logo").attr_class(ProjectCard(), ProjectCard._meta.get_field("logo"), name)
    response = file_response(field, filename="shot.png", content_type="image/png")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    response.close()
    default_storage.delete(name)
