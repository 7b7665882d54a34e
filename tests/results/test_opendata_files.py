"""The full open-data files are built, stored and served as files (eplus.results.opendata_files): with
validators (ETag, Last-Modified, Content-Length, 304), rebuilt when the public data changed — on demand
where tasks run in-process, by one debounced task where the queue can run it later."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone

from eplus.results import opendata_files, publishing
from eplus.results.models import OpenDataFile, ProjectCard
from eplus.results.page_cache import bump_public_cache

from .conftest import card_data


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _identifiers(body):
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    column = table[0].index("Project Identifier")
    return {row[column] for row in table[1:]}


def test_the_whole_list_is_a_built_file_with_validators(client, card, lv01, django_capture_on_commit_callbacks):
    response = client.get(reverse("opendata_csv"))
    assert response.status_code == 200 and isinstance(response, FileResponse)
    body = b"".join(response.streaming_content)
    built = OpenDataFile.objects.get(format="csv")
    assert _identifiers(body) == {card.identifier}
    assert response["ETag"] == f'"{built.sha256}"' and response["Content-Length"] == str(len(body)) == str(built.size)
    assert response["Last-Modified"] and 'attachment; filename="erasmus-plus-projects.csv"' == \
        response["Content-Disposition"]
    assert built.rows == 1 and default_storage.exists(built.file.name)
    # The browser that has the file asks again: 304, no body.
    again = client.get(reverse("opendata_csv"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    # The same file twice is not rebuilt.
    assert client.get(reverse("opendata_csv"))["ETag"] == response["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        other = publishing.publish_project_card(card_data(lv01, {"name": "Solo school", "country": "EE"},
                                                        title="Estonian robotics"))
    with django_capture_on_commit_callbacks(execute=True):
        fresh = client.get(reverse("opendata_csv"))
    assert _identifiers(b"".join(fresh.streaming_content)) == {card.identifier, other.identifier}
    assert fresh["ETag"] != response["ETag"]
    assert not default_storage.exists(built.file.name), "the replaced file is deleted"
    assert client.get(reverse("opendata_csv"), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_the_xlsx_file_is_built_too_and_filtered_downloads_stream(client, card, lv01):
    from openpyxl import load_workbook

    response = client.get(reverse("opendata_xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    assert [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)] == [card.identifier]
    assert response["ETag"] == f'"{OpenDataFile.objects.get(format="xlsx").sha256}"'
    filtered = client.get(reverse("opendata_csv"), {"country": "LT"})
    assert not isinstance(filtered, FileResponse) and "ETag" not in filtered
    assert _identifiers(b"".join(filtered.streaming_content)) == {card.identifier}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["database"]}}
    settings.OPEN_DATA_BUILD_DELAY_SECONDS = 90
    from django.core.cache import cache

    cache.delete(opendata_files.SCHEDULED_KEY)


def _queued_builds():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path="eplus.results.tasks.build_open_data_files"))


def test_changes_schedule_one_later_build_and_the_old_file_is_served_meanwhile(client, card, lv01, database_queue):
    opendata_files.build_files()
    first = OpenDataFile.objects.get(format="csv")
    before = timezone.now()
    for title in ("Robotics one", "Robotics two", "Robotics three"):
        publishing.publish_project_card(card_data(lv01, {"name": f"{title} school", "country": "EE"}, title=title))
    bump_public_cache()
    queued = _queued_builds()
    assert len(queued) == 1, "one build for the changes of the next seconds"
    assert queued[0].run_after >= before + timedelta(seconds=89)
    # Until it runs, the previous file is served (not computed in the request).
    response = client.get(reverse("opendata_csv"))
    assert response["ETag"] == f'"{first.sha256}"'
    assert _identifiers(b"".join(response.streaming_content)) == {card.identifier}
    assert len(_queued_builds()) == 1
    # The build (the task's work) brings it up to date; a change after it schedules the next one.
    assert opendata_files.build_files() == {"csv": 4, "xlsx": 4}
    assert OpenDataFile.objects.get(format="csv").rows == 4
    assert _identifiers(b"".join(client.get(reverse("opendata_csv")).streaming_content)) == set(
        ProjectCard.objects.values_list("identifier", flat=True))
    bump_public_cache()
    assert len(_queued_builds()) == 2


def test_without_a_built_file_the_download_streams_and_a_build_is_queued(client, card, database_queue):
    response = client.get(reverse("opendata_csv"))
    assert not isinstance(response, FileResponse) and "ETag" not in response
    assert _identifiers(b"".join(response.streaming_content)) == {card.identifier}
    assert len(_queued_builds()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_build_at_a_time(card):
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                         dbname=db["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [opendata_files._LOCK_ID])  # a build in another worker
        assert opendata_files.build_files() is None
        assert not OpenDataFile.objects.exists()
        # Released here, not by closing: a closed connection's server process lets go of its locks a moment
        # later, and a build right after the close could still find the lock taken (a flaky test under load).
        other.execute("SELECT pg_advisory_unlock(%s)", [opendata_files._LOCK_ID])
    assert opendata_files.build_files() == {"csv": 1, "xlsx": 1}


def test_a_file_left_by_a_build_that_died_before_its_swap_is_replaced(card):
    opendata_files.build_files(formats=("csv",))
    built = OpenDataFile.objects.get(format="csv")
    OpenDataFile.objects.all().delete()  # as if the worker died after storing, before the swap
    assert default_storage.exists(built.file.name)
    opendata_files.build_files(formats=("csv",))
    again = OpenDataFile.objects.get(format="csv")
    assert again.file.name == built.file.name and again.sha256 == built.sha256


def test_a_stored_file_gone_missing_is_streamed_and_built_again(client, card):
    opendata_files.build_files(formats=("csv",))
    built = OpenDataFile.objects.get(format="csv")
    default_storage.delete(built.file.name)  # lost from the storage (a bucket emptied, a disk replaced)
    response = client.get(reverse("opendata_csv"))
    assert response.status_code == 200 and not isinstance(response, FileResponse)
    assert _identifiers(b"".join(response.streaming_content)) == {card.identifier}
    # The next build stores the file again, although its content did not change.
    opendata_files.build_files(formats=("csv",))
    again = OpenDataFile.objects.get(format="csv")
    assert again.sha256 == built.sha256 and default_storage.exists(again.file.name)
    assert isinstance(client.get(reverse("opendata_csv")), FileResponse)


def _queued(path):
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=path))


def test_a_replaced_file_stays_a_while_for_visitors_already_redirected_to_it(card, lv01, database_queue, settings):
    settings.OPEN_DATA_REPLACED_FILE_KEEP_SECONDS = 300
    opendata_files.build_files(formats=("csv",))
    first = OpenDataFile.objects.get(format="csv")
    publishing.publish_project_card(card_data(lv01, {"name": "Solo school", "country": "EE"}, title="Robotics"))
    before = timezone.now()
    opendata_files.build_files(formats=("csv",))
    assert OpenDataFile.objects.get(format="csv").file.name != first.file.name
    assert default_storage.exists(first.file.name), "kept for a redirect handed out before the swap"
    [deletion] = _queued("eplus.results.tasks.delete_replaced_open_data_file")
    assert deletion.args_kwargs["args"] == [first.file.name]
    assert deletion.run_after >= before + timedelta(seconds=299)
    assert opendata_files.delete_replaced(first.file.name) is True
    assert not default_storage.exists(first.file.name)


def test_a_replaced_name_that_is_current_again_is_not_deleted(card, database_queue):
    opendata_files.build_files(formats=("csv",))
    current = OpenDataFile.objects.get(format="csv")
    # The data went back to an earlier state: the pending deletion names today's file; it is kept.
    assert opendata_files.delete_replaced(current.file.name) is False
    assert default_storage.exists(current.file.name)


def test_the_same_data_gives_the_same_xlsx_bytes(card):
    import time
    import zipfile

    from openpyxl import load_workbook

    from eplus.results import opendata

    first, second = io.BytesIO(), io.BytesIO()
    tally = {}
    opendata.write_xlsx(first, tally=tally)
    time.sleep(1.1)  # a zip entry's time has a two-second resolution; the document's dates are to the second
    opendata.write_xlsx(second)
    assert first.getvalue() == second.getvalue(), "an unchanged list keeps its SHA-256 (its ETag)"
    assert tally == {"rows": 1}
    with zipfile.ZipFile(first) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.testzip() is None
    workbook = load_workbook(first, read_only=True)
    assert [row[4] for row in workbook.active.iter_rows(min_row=2, values_only=True)] == [card.identifier]
    assert workbook.properties.modified.replace(microsecond=0) == opendata.last_modified().replace(
        tzinfo=None, microsecond=0)
