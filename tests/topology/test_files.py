"""Files on the real topology (issue 11, item 4): a result file uploaded through ``./run serve`` lands in
the S3 bucket (moto_server) with the SHA-256 eplus recorded, and comes back through a signed link."""

import hashlib
import urllib.request

import pytest

from .conftest import PASSWORD, verified_user
from tests.samples import pdf, Stream

pytestmark = [pytest.mark.postgres, pytest.mark.topology]


def test_an_uploaded_result_file_is_in_the_bucket_with_its_sha256(live, lv, lv01):
    from eplus.organisations.models import Role
    from eplus.results.models import ResultFile
    from eplus.results.publishing import publish_project_card
    from tests.factories import make_organisation
    from tests.results.conftest import card_data

    user = verified_user("uploader@school.example")
    coordinator = make_organisation(lv, legal_name="Daugava Vocational School", member=user, role=Role.CONTACT_PERSON)
    card = publish_project_card(card_data(lv01, coordinator))
    body = pdf(b"a fictional handbook for the topology test", objects=[Stream(256 * 4000, bytes(range(256)))])  # ~1 MB

    client = live.client()
    assert client.log_in("uploader@school.example", PASSWORD)[0] == 302
    client.get(f"/results/p/{card.identifier}/edit/results/")
    status, headers, page = client.post(
        f"/results/p/{card.identifier}/edit/results/",
        {"title": "Teacher handbook", "result_type": "handbook", "description_en": "A handbook.", "link": "",
         "public": ""},
        files={"file": ("handbook.pdf", body, "application/pdf")})
    assert status == 302, page[:2000]

    record = ResultFile.objects.get(result__card=card)
    assert record.sha256 == hashlib.sha256(body).hexdigest() and record.size == len(body)
    assert record.file.name in live.s3.keys()
    assert hashlib.sha256(live.s3.body(record.file.name)).hexdigest() == record.sha256

    status, headers, _ = client.get(f"/results/files/{record.pk}/")
    assert status == 302 and headers["Location"].startswith(live.s3.endpoint)
    with urllib.request.urlopen(headers["Location"], timeout=10) as download:
        assert download.read() == body
    assert live.client().get(f"/results/files/{record.pk}/")[0] == 404  # a stranger: no link at all
