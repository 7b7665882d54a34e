"""Fixtures of the fuzzers: a fixed clock, limits out of the way, and the world of tests/fuzz/world.py."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture
def fixed_clock(monkeypatch):
    """eplus.core.time.now() on 25 Nov 2026, 10:00 Brussels: the 2027 calls are open, the 2026 ones evaluated."""
    monkeypatch.setattr("eplus.core.time.now", lambda: NOW)
    return NOW


@pytest.fixture
def no_rate_limits(settings):
    """The fuzzers send thousands of requests from one address: the limits (answered with a 429, which the
    fuzzers accept) would hide the views behind them."""
    settings.RATE_LIMITS = {scope: "1000000/60" for scope in settings.RATE_LIMITS}
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def world(programme, fixed_clock, no_rate_limits):
    from .world import build_world

    return build_world()


@pytest.fixture
def api_world(programme, fixed_clock, no_rate_limits):
    from .world import build_api_world

    return build_api_world()
