"""The one export writer (eplus.core.exports): formula-like text is neutralised in CSV (apostrophe, read
back by restore_text) and written as text in XLSX; numbers, dates and ordinary text are unchanged."""

import datetime
from decimal import Decimal

import pytest

from eplus.core.exports import XlsxSheet, csv_cell, csv_text, restore_text
from tests.exports_check import HOSTILE, HOSTILE_VALUES, assert_csv_is_safe, assert_xlsx_is_safe, csv_cells


@pytest.mark.parametrize("value", [*HOSTILE_VALUES, "\t=1+1", "\r=1+1", "'=1+1", "''@x", "-", "+ more", "=A1"])
def test_formula_like_text_is_neutralised_and_read_back_exactly(value):
    written = csv_cell(value)
    assert written == "'" + value
    assert restore_text(written) == value
    assert csv_cells(csv_text([[value]])) == [written]


@pytest.mark.parametrize("value", ["-120.00", "+37120000000", "-1,5", "1e5", "Rīga", "'quoted", "", "a=b", "2024-01-01"])
def test_numbers_and_ordinary_text_are_left_as_they_are(value):
    assert csv_cell(value) == value
    assert restore_text(value) == value


def test_other_values_pass_through_the_csv_writer():
    assert csv_text([["a", 1, Decimal("2.50"), None]], bom=True) == "\ufeffa,1,2.50,\r\n"


def test_the_csv_writer_neutralises_every_hostile_value():
    assert_csv_is_safe(csv_text([["title", "name"], *([value, "ok"] for value in HOSTILE_VALUES)]), *HOSTILE_VALUES)


def test_xlsx_text_is_text_never_a_formula_and_formats_apply():
    sheet = XlsxSheet("Test")
    sheet.append(["text", "amount", "day"])
    sheet.append([HOSTILE, Decimal("10.50"), datetime.date(2027, 3, 4)], {1: "#,##0.00", 2: "yyyy-mm-dd"})
    for value in HOSTILE_VALUES[1:] + ("#N/A", "bad\x00control"):
        sheet.append([value, None, None])
    content = sheet.to_bytes()
    assert_xlsx_is_safe(content, *HOSTILE_VALUES, "#N/A")
    from openpyxl import load_workbook
    import io

    rows = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=False))
    assert rows[1][1].value == 10.5 and rows[1][1].number_format == "#,##0.00"
    assert rows[1][2].value.date() == datetime.date(2027, 3, 4)
    assert rows[-1][0].value == "badcontrol"  # XML cannot hold the control character
