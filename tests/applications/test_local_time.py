from datetime import datetime, timezone
from pathlib import Path

import pytest

from eplus.applications import local_time

SYSTEM_ZONE_TAB = Path("/usr/share/zoneinfo/zone.tab")


@pytest.fixture
def fresh_table():
    """The zone table is cached per process: start and end each test with an empty cache."""
    local_time._zone_table.cache_clear()
    yield
    local_time._zone_table.cache_clear()


@pytest.fixture
def no_system_zone_tab(monkeypatch, fresh_table):
    """A machine without the system tz database (e.g. a slim container image)."""
    real_exists = Path.exists
    monkeypatch.setattr(Path, "exists", lambda self: False if self == SYSTEM_ZONE_TAB else real_exists(self))


def test_country_code_is_case_insensitive_and_unknown_or_missing_falls_back_to_brussels(fresh_table):
    assert local_time.country_time_zone("lv").key == "Europe/Riga"
    assert local_time.country_time_zone("PT").key == "Europe/Lisbon"
    assert local_time.country_time_zone("XX").key == "Europe/Brussels"
    assert local_time.country_time_zone(None).key == "Europe/Brussels"
    assert local_time.country_time_zone("").key == "Europe/Brussels"


def test_without_the_system_tz_database_the_tzdata_package_is_used(no_system_zone_tab):
    assert local_time.country_time_zone("LV").key == "Europe/Riga"
    assert local_time.country_time_zone("FI").key == "Europe/Helsinki"


def test_without_any_zone_table_every_country_shows_brussels_time(no_system_zone_tab, monkeypatch):
    import importlib.resources

    def no_package(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(importlib.resources, "files", no_package)
    assert local_time.country_time_zone("LV").key == "Europe/Brussels"
    instant = datetime(2026, 3, 5, 11, 0, 0, tzinfo=timezone.utc)
    assert local_time.format_local(instant, "LV") == "5 Mar 2026, 12:00:00 CET (Europe/Brussels)"


def test_short_and_comment_lines_of_the_zone_table_are_skipped(tmp_path, monkeypatch, fresh_table):
    table = tmp_path / "zone.tab"
    table.write_text("# comment\tline\there\n\nLV\t+5657+02406\tEurope/Riga\nEE\tbroken\n", encoding="utf-8")
    real_read_text, real_exists = Path.read_text, Path.exists
    monkeypatch.setattr(
        Path, "read_text",
        lambda self, *a, **kw: real_read_text(table if self == SYSTEM_ZONE_TAB else self, *a, **kw),
    )
    monkeypatch.setattr(Path, "exists", lambda self: True if self == SYSTEM_ZONE_TAB else real_exists(self))
    assert local_time._zone_table() == {"LV": "Europe/Riga"}
    assert local_time.country_time_zone("EE").key == "Europe/Brussels"


def test_format_local_shows_the_applicants_clock_with_summer_time(fresh_table):
    instant = datetime(2026, 7, 1, 10, 0, 5, tzinfo=timezone.utc)
    assert local_time.format_local(instant, "LV") == "1 Jul 2026, 13:00:05 EEST (Europe/Riga)"
    winter = datetime(2026, 1, 9, 10, 0, 5, tzinfo=timezone.utc)
    assert local_time.format_local(winter, "lv") == "9 Jan 2026, 12:00:05 EET (Europe/Riga)"
