"""The full open-data files on the real topology (issue 11, item 5): built by ``./run worker`` after the
public data changed, stored in the S3 bucket under their SHA-256, served by ``./run serve`` as a signed
redirect with the validators — and rebuilt, by the worker, when a project is published."""

import csv
import hashlib
import io
import urllib.error
import urllib.request

import pytest

from .conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.topology]


def _identifiers(body):
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = table[0].index("Project Identifier")
    return {row[column] for row in table[1:]}


def _download(client):
    """The whole-list CSV as a browser gets it: (its body, the redirect's headers or None when streamed)."""
    status, headers, body = client.get("/opendata/projects.csv")
    if status == 302:
        with urllib.request.urlopen(headers["Location"], timeout=10) as stored:
            return stored.read(), headers
    assert status == 200
    return body.encode("utf-8"), None


def _status_with(live, path, headers):
    request = urllib.request.Request(live.url + path, headers={"X-Forwarded-Proto": "https", **headers})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_the_worker_builds_the_files_into_the_bucket_and_rebuilds_them_after_a_change(live, lv, lv01, settings):
    from eplus.results.models import OpenDataFile
    from eplus.results.publishing import publish_project_card
    from tests.results.conftest import card_data

    # Changes made here queue the build on the servers' queue, as a change made through ./run serve does.
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["database"]}}
    settings.OPEN_DATA_BUILD_DELAY_SECONDS = 1  # as the servers have it (production_env)
    first = publish_project_card(card_data(lv01, {"name": "Daugava Vocational School", "country": "LV"},
                                           title="Green skills for builders"))
    client = live.client()

    def built_with(identifiers):
        body, redirect = _download(client)
        return (body, redirect) if redirect is not None and _identifiers(body) == identifiers else None

    body, redirect = wait_for(lambda: built_with({first.identifier}), what="the worker's first build")
    built = OpenDataFile.objects.get(format="csv")
    assert redirect["ETag"] == f'"{built.sha256}"' == f'"{hashlib.sha256(body).hexdigest()}"'
    assert redirect["Location"].startswith(live.s3.endpoint) and built.file.name in live.s3.keys()
    assert OpenDataFile.objects.filter(format="xlsx").exists()
    assert _status_with(live, "/opendata/projects.csv", {"If-None-Match": redirect["ETag"]}) == 304

    second = publish_project_card(card_data(lv01, {"name": "Solo school", "country": "EE"},
                                            title="Estonian robotics"))
    # Until the worker's rebuild (a second later), the previous file is served, never a half one.
    body, redirect = wait_for(lambda: built_with({first.identifier, second.identifier}),
                              what="the worker's rebuild after the change")
    rebuilt = OpenDataFile.objects.get(format="csv")
    assert rebuilt.rows == 2 and rebuilt.sha256 == hashlib.sha256(body).hexdigest() != built.sha256
    wait_for(lambda: built.file.name not in live.s3.keys(), what="the replaced file's deletion")
    assert rebuilt.file.name in live.s3.keys()
    # A filtered download is computed while it is sent (not a stored file).
    status, headers, filtered = client.get("/opendata/projects.csv?country=EE")
    assert status == 200 and "ETag" not in headers
    assert _identifiers(filtered.encode("utf-8")) == {second.identifier}
