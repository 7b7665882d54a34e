"""One writer for every CSV and XLSX file eplus produces: the public open data, the agency's exports, the
auditors' dossier.

Text that a spreadsheet would take for a formula is neutralised the OWASP way ("CSV injection": a cell
beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return): in CSV it gets a leading apostrophe,
which spreadsheets read as "this is text" (the importer takes it off again: :func:`restore_text`); in XLSX
every text cell is written as text, never as a formula or an error code, so it keeps its value exactly.
Plain numbers (``-120.00``, ``+37120000000``) stay as they are: they compute nothing.
"""

import csv
import io
import re

FORMULA_START = frozenset("=+-@\t\r")
_MAY_NEED_QUOTE = FORMULA_START | {"'"}  # a cheap first look, before the full test (exports are big)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# XML 1.0 has no place for these control characters: an XLSX cell cannot hold them.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _formula_like(text):
    bare = text.lstrip("'")  # "'=x" is written "''=x", so that taking one apostrophe off gives it back
    return bare[:1] in FORMULA_START and not _PLAIN_NUMBER.fullmatch(bare)


def csv_cell(value):
    """The value as a CSV cell: formula-like text behind an apostrophe, anything else unchanged."""
    if isinstance(value, str) and value and _formula_like(value):
        return "'" + value
    return value


def restore_text(value):
    """The text a CSV cell written by :func:`csv_cell` holds (its apostrophe taken off)."""
    if isinstance(value, str) and value.startswith("'") and _formula_like(value[1:]):
        return value[1:]
    return value


class _Echo:
    def write(self, value):
        return value


def csv_stream(rows, *, bom=False, rows_per_chunk=500):
    """The rows (iterables of values) as CSV text in pieces of ``rows_per_chunk`` rows; lines end in CRLF
    (RFC 4180); ``bom`` starts it with a byte-order mark so spreadsheets read the accents as UTF-8."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    if bom:
        yield "\ufeff"
    buffer = []
    for row in rows:
        buffer.append(writer.writerow([
            csv_cell(value) if isinstance(value, str) and value[:1] in _MAY_NEED_QUOTE else value for value in row]))
        if len(buffer) >= rows_per_chunk:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def csv_text(rows, *, bom=False):
    """The rows as one CSV text (for small files: a project's payments, an audit trail)."""
    return "".join(csv_stream(rows, bom=bom))


class XlsxSheet:
    """A write-only workbook (constant memory) with one sheet, its text cells written as text.

    ``append(values, number_formats)`` adds a row; ``number_formats`` maps a column's index to an Excel
    number format for that row's number or date (e.g. ``{3: "#,##0.00"}``)."""

    def __init__(self, title):
        from openpyxl import Workbook

        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(title)

    def append(self, values, number_formats=None):
        row = [self._cell(value) if isinstance(value, str) else value for value in values]
        for index, number_format in (number_formats or {}).items():
            row[index] = self._formatted(row[index], number_format)
        self.sheet.append(row)

    def _cell(self, value):
        value = _ILLEGAL_XLSX.sub("", value)
        if value[:1] != "=" and not value.startswith("#"):
            return value  # openpyxl writes it as text already (a cell is made only where it is needed: speed)
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet, value)
        cell.data_type = "s"  # text, not the formula or error code openpyxl would take it for
        return cell

    def _formatted(self, value, number_format):
        from openpyxl.cell import WriteOnlyCell

        if value is None:
            return None
        cell = WriteOnlyCell(self.sheet, value)
        cell.number_format = number_format
        return cell

    def save(self, fileobj):
        self.workbook.save(fileobj)

    def to_bytes(self):
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()
