"""Edge cases of the project-list import command: a missing file, an unknown agency, a file that is
no project list, a semicolon-separated CSV, and a dry run's report."""

import io

import pytest
from django.core.management import CommandError, call_command

from eplus.results.models import ProjectCard

from .test_opendata import NEW_HEADER, new_row


def _semicolon_csv(path, header, rows):
    lines = [";".join(header)] + [";".join(str(v).replace("\n", " ").replace(";", ",") for v in r) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_missing_file_is_a_command_error(tmp_path, db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_project_list", str(tmp_path / "absent.csv"))


def test_unknown_agency_is_a_command_error(tmp_path, lv01):
    path = tmp_path / "list.csv"
    path.write_text("Project Identifier\r\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No National Agency with the code 'ZZ99'"):
        call_command("import_project_list", str(path), "--agency", "ZZ99")
    assert not ProjectCard.objects.exists()


def test_semicolon_dry_run_reports_and_saves_nothing(tmp_path, lv01):
    path = _semicolon_csv(tmp_path / "semi.csv", NEW_HEADER, [new_row(1), new_row(2)])
    out = io.StringIO()
    call_command("import_project_list", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "2 rows read" in out.getvalue()
    assert "would be created" in out.getvalue()
    assert not ProjectCard.objects.exists()


@pytest.mark.parametrize("query", ["", "   ", '"', "or", "-", '"unclosed phrase', "green OR -"])
def test_odd_queries_and_filters_do_not_fail(db, query):
    from eplus.results import search

    page, facets = search.search(query, {"call_year": "twenty", "good_practice": "no", "country": ""},
                                 per_page=0)
    assert list(page.object_list) == []
    assert isinstance(facets, dict)


def test_a_file_that_is_no_spreadsheet_is_a_command_error(tmp_path, db):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"this is not a workbook")
    with pytest.raises(CommandError, match="Cannot read list.xlsx"):
        call_command("import_project_list", str(path))


def test_an_empty_file_is_a_command_error(tmp_path, db):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="empty.csv: the file is empty"):
        call_command("import_project_list", str(path), stderr=io.StringIO())
