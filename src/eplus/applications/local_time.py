"""The local time of a country (its first zone in the tz database's zone.tab), for the confirmation of a
submission: the deadline is Brussels time, the applicant also sees their own clock."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo


@lru_cache(maxsize=1)
def _zone_table():
    for path in (Path("/usr/share/zoneinfo/zone.tab"),):
        if path.exists():
            text = path.read_text(encoding="utf-8")
            break
    else:
        try:
            from importlib.resources import files

            text = (files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
        except (ModuleNotFoundError, FileNotFoundError):
            text = ""
    table = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                table.setdefault(parts[0], parts[2])
    return table


def country_time_zone(country_code):
    """The (first) time zone of a country from the tz database's zone.tab: LV → Europe/Riga."""
    return ZoneInfo(_zone_table().get((country_code or "").upper(), "Europe/Brussels"))


def format_local(instant, country_code):
    zone = country_time_zone(country_code)
    local = instant.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M:%S} {local.tzname()} ({zone.key})"

