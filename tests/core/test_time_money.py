from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eplus.core.money import eur, format_eur, percent_of, split_exactly
from eplus.core.time import brussels, format_brussels, is_before_deadline, parse_brussels


def test_brussels_deadlines_follow_summer_time():
    # DOMAIN §5: 5 March 2026 12:00 Brussels = 11:00 UTC; 9 April 2026 12:00 Brussels = 10:00 UTC.
    assert brussels(2026, 3, 5).astimezone(timezone.utc) == datetime(2026, 3, 5, 11, tzinfo=timezone.utc)
    assert brussels(2026, 4, 9).astimezone(timezone.utc) == datetime(2026, 4, 9, 10, tzinfo=timezone.utc)


def test_deadline_instant_itself_is_closed():
    deadline = brussels(2026, 3, 5)
    assert is_before_deadline(parse_brussels("2026-03-05T10:59:59Z"), deadline)
    assert not is_before_deadline(parse_brussels("2026-03-05T11:00:00Z"), deadline)
    assert not is_before_deadline(parse_brussels("2026-03-05T13:00:00+02:00"), deadline)  # 13:00 Riga


def test_parse_brussels_wall_clock_and_format():
    assert parse_brussels("2026-10-01 12:00") == brussels(2026, 10, 1)
    assert format_brussels(brussels(2026, 3, 5)) == "5 Mar 2026, 12:00 CET"
    assert format_brussels(brussels(2026, 10, 1)) == "1 Oct 2026, 12:00 CEST"


def test_money_is_decimal_and_refuses_floats():
    assert eur("252 475") == Decimal("252475.00")
    assert eur(839394) == Decimal("839394.00")
    with pytest.raises(TypeError):
        eur(0.1)
    with pytest.raises(ValueError):
        eur("twelve")
    assert format_eur("252475") == "252\u202f475.00 EUR"


def test_payment_splits_add_up_exactly():
    assert split_exactly("250000", [40, 40, 20]) == [Decimal("100000.00"), Decimal("100000.00"), Decimal("50000.00")]
    assert split_exactly("60000", [80, 20]) == [Decimal("48000.00"), Decimal("12000.00")]
    assert percent_of("250000", 25) == Decimal("62500.00")


@given(
    total=st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
    first=st.integers(min_value=0, max_value=100),
)
def test_split_always_adds_up(total, first):
    parts = split_exactly(total, [first, 100 - first])
    assert sum(parts) == eur(total)
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)
