"""Files on S3-compatible object storage (issue 11, item 4), against a real S3 API server (moto_server):
uploads are streamed to the bucket with their SHA-256 recorded, private files are served only through
the permission-checked views as a short-lived signed link, public ones as a cacheable one."""

import hashlib
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import make_user
from tests.object_storage import S3Server
from tests.results.conftest import (card, coordinator, coordinator_user, finalised_card_with_secrets,  # noqa: F401
                                    officer, partner_org)
from tests.topology.conftest import free_port
from tests.samples import PDF, Stream, pdf


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    server = S3Server(free_port(), tmp_path_factory.mktemp("s3")).start()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server, settings):
    from eplus.config.storage import s3_storage

    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(s3_server.env().get)}
    return s3_server


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_a_result_file_goes_to_the_bucket_with_its_sha256_and_comes_back_through_a_signed_link(
        s3, client, card, coordinator_user, django_capture_on_commit_callbacks):  # noqa: F811
    from eplus.results.models import ResultFile

    client.force_login(coordinator_user)
    body = pdf(b"a fictional teacher guide", objects=[Stream(200_000, b"x")])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("results:result_add", args=[card.identifier]), {
            "title": "Teacher guide", "result_type": "handbook", "description_en": "A guide for teachers.",
            "link": "", "public": "", "file": SimpleUploadedFile("guide.pdf", body, "application/pdf")})
    assert response.status_code == 302
    record = ResultFile.objects.get()
    assert record.file.name in s3.keys()  # in the bucket, not on the web server's disk
    assert not [key for key in s3.keys() if key.startswith("pending-uploads/")]  # its mark went with the commit
    assert hashlib.sha256(s3.body(record.file.name)).hexdigest() == record.sha256 == hashlib.sha256(body).hexdigest()

    download = reverse("results:download", args=[record.pk])
    answer = client.get(download)
    assert answer.status_code == 302 and answer["Location"].startswith(s3.endpoint)
    assert "X-Amz-Signature=" in answer["Location"] and "no-store" in answer["Cache-Control"]
    status, headers, fetched = _fetch(answer["Location"])
    assert status == 200 and fetched == body
    assert 'attachment; filename="guide.pdf"' in headers.get("Content-Disposition", "")

    client.force_login(make_user())  # a stranger: the private file is not there at all, no link leaks
    refused = client.get(download)
    assert refused.status_code == 404 and "Location" not in refused


def test_a_public_file_gets_a_cacheable_signed_link(s3, client, card, coordinator_user, officer):  # noqa: F811
    from eplus.results.models import ResultFile

    card, public, hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    public_file = ResultFile.objects.get(result=public)
    hidden_file = ResultFile.objects.get(result=hidden)
    client.logout()
    answer = client.get(reverse("results:download", args=[public_file.pk]))
    assert answer.status_code == 302 and answer["Cache-Control"].startswith("public")
    assert _fetch(answer["Location"])[2] == s3.body(public_file.file.name)
    assert client.get(reverse("results:download", args=[hidden_file.pk])).status_code == 404


def test_signed_links_are_short_lived(s3, client, card, coordinator_user, officer):  # noqa: F811
    """The link a view hands out is signed for SIGNED_URL_SECONDS (2 minutes) only. (moto does not enforce
    the expiry itself, so this checks the signed parameters; S3 and its compatibles refuse after them.)"""
    from eplus.results.models import ResultFile

    card, public, _hidden = finalised_card_with_secrets(card, coordinator_user, officer)
    answer = client.get(reverse("results:download", args=[ResultFile.objects.get(result=public).pk]))
    assert "X-Amz-Expires=120" in answer["Location"] and "X-Amz-Date=" in answer["Location"]
    assert answer["Cache-Control"] == "public, max-age=60"  # cached for half the link's life at most


def test_the_sweep_removes_an_orphan_from_the_bucket_and_keeps_what_a_record_names(s3, db):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from eplus.core import files

    default_storage.save(files._marker("results/files/9/orphan.pdf"), ContentFile(b""))
    default_storage.save("results/files/9/orphan.pdf", ContentFile(PDF))
    default_storage.save("results/files/9/kept.pdf", ContentFile(PDF))  # named by no mark: not the sweep's
    assert files.sweep_pending_uploads(timezone.now())["orphan_uploads_removed"] == 0  # still on its way
    later = timezone.now() + timedelta(hours=2)
    assert files.sweep_pending_uploads(later)["orphan_uploads_removed"] >= 1
    assert not [key for key in s3.keys() if key.startswith("pending-uploads/")]
    assert [key for key in s3.keys() if key.startswith("results/files/9/")] == ["results/files/9/kept.pdf"]
