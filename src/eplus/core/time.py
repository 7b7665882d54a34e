"""Europe/Brussels time: every programme deadline is defined there (DOMAIN §5)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels(year, month, day, hour=12, minute=0):
    """An aware instant given as Brussels wall-clock time (CET or CEST as the date has it)."""
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def to_brussels(instant):
    if timezone.is_naive(instant):
        raise ValueError("naive datetimes are ambiguous; pass an aware instant")
    return instant.astimezone(BRUSSELS)


def parse_brussels(text):
    """'2026-03-05 12:00' (Brussels wall clock) or an ISO string with offset → aware instant."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=BRUSSELS)
    return value


def is_before_deadline(instant, deadline):
    """True while a submission is on time; the deadline instant itself is already closed."""
    return instant < deadline


def now():
    return timezone.now()


def end_of_day_brussels(day):
    return datetime.combine(day, time(23, 59, 59), tzinfo=BRUSSELS)


def format_brussels(instant):
    """'5 Mar 2026, 12:00 CET' — how pages print a deadline."""
    local = to_brussels(instant)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
