"""Bulk import of the Commission's Erasmus+ project lists (CSV or XLSX) into public project cards.

Used by ``./run manage import_project_list FILE``. The files are the Commission's: the per-call-year
lists and the per-period KA2 lists (2014–2020, 2021–2027), comma or semicolon separated, with or without
a BOM, dozens of ``Partner n …`` groups. Why it works the way it does:

- **validate first, then write** (:func:`import_file`): the whole file is read once and every problem is
  collected with its row and column before anything is written, so by default a file goes in whole or
  not at all (a nightly job must not call a third of a file "success"); ``skip_invalid`` imports the
  valid rows only and says how many it skipped;
- **batches, not rows**: the second pass reads the file again (memory stays bounded by one batch) and
  writes each batch with ``bulk_create`` / ``bulk_update``, one audit event per created or changed card
  (unchanged rows write nothing at all), and ONE search-index change per batch
  (:func:`eplus.results.batch_index.index_cards`), so the index lock is held for one batch at a time and
  publishing can go on between batches;
- **the Commission's values are kept** (:data:`eplus.results.opendata.COMMISSION_COUNTRY_CODES`): ``EL`` /
  ``UK`` are Greece / the United Kingdom (stored as the ISO codes ``GR`` / ``GB``), the status is kept as
  written (``Closed``, ``finalized`` …) beside the card's own status, and the Commission's project-card URL
  and "Results Available" are stored, so an export gives back what was imported;
- **imported historical projects are records**: they carry ``imported_from`` / ``imported_at`` and never
  enter the beneficiaries' workflows (the sweep does not invite them, nobody is e-mailed about them).

Header variants (the column names are matched case-insensitively, ignoring spacing, curly
apostrophes and British/American spelling; unknown columns are ignored):

- 2021+ files: the columns of :data:`eplus.results.opendata.BASE_COLUMNS`, with ``Topics`` and the
  newer ``Start date`` / ``End date``;
- 2014–2020 files: no ``Topics`` / ``Start date`` / ``End date``; the grant column may be the short
  ``EU Grant award in euros``; some spell ``organization``; the flags may be ``Good Practice`` /
  ``Success Story`` without ``Is``; the identifier may be headed ``Project Number``, the call year
  ``Funding Year``, the status ``Project or accreditation status``;
- any number of ``Partner n …`` groups (``Partner n name``, ``… organisation type``, ``… address``,
  ``… region``, ``… country``, ``… website``).
"""

import codecs
import csv
import io
import pickle
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from eplus.core.exports import restore_text

from .models import ProjectStatus
from .opendata import BASE_COLUMNS, COMMISSION_COUNTRY_CODES, TOPIC_SEPARATOR

# normalised header → key
ALIASES = {
    "project number": "identifier",
    "project id": "identifier",
    "call": "call_year",
    "funding year": "call_year",
    "project or accreditation status": "status",
    "good practice": "good_practice",
    "success story": "success_story",
    "project web site": "website",
    "project start date": "start_date",
    "project end date": "end_date",
    "coordinator name": "coordinator.name",
    "coordinator's name": "coordinator.name",
    "coordinating organisation": "coordinator.name",
    "coordinator's organisation type": "coordinator.type",
    "coordinator organisation type": "coordinator.type",
    "project card": "card_url",
    "summary": "summary",
    "title": "title",
}
PARTNER_RE = re.compile(
    r"^partner (\d+) (name|organisation name|organisation type|type|address|region|country|website)$")
PARTNER_KEYS = {"name": "name", "organisation name": "name", "organisation type": "type", "type": "type",
                "address": "address", "region": "region", "country": "country", "website": "website"}
STATUS_VALUES = {"ongoing": ProjectStatus.ONGOING, "finalised": ProjectStatus.FINALISED,
                 "finalized": ProjectStatus.FINALISED, "closed": ProjectStatus.FINALISED,
                 "completed": ProjectStatus.FINALISED, "terminated": ProjectStatus.TERMINATED}
# The Commission's country codes that are not ISO 3166 (EL, UK) → the ISO code eplus stores.
IMPORT_COUNTRY_CODES = {commission: iso for iso, commission in COMMISSION_COUNTRY_CODES.items()}
AGENCY_RE = re.compile(r"-([A-Z]{2}\d{2})-")
CODE_RE = re.compile(r"\b(KA\d{1,3})(?:-([A-Z]{3}))?\b")
DATE_ORDERS = ("DMY", "MDY", "YMD")
# Columns whose absence is worth a warning: every known column but the derived ones.
NOT_WARNED = {"identifier", "title", "countries"}
BATCH_SIZE = 1000  # rows per transaction: bounded memory, the index lock held for one batch only


def normalise(name):
    text = str(name or "").replace("\ufeff", "").replace("\u2019", "'").replace("\u2018", "'").strip().lower()
    text = text.replace("organization", "organisation")
    return re.sub(r"\s+", " ", text)


_KNOWN = {normalise(h): key for h, key in BASE_COLUMNS}
HEADERS = {key: h for h, key in BASE_COLUMNS}


def column_key(name):
    """The key a header maps to: a base key, ("partner", n, key), or None (ignored)."""
    text = normalise(name)
    if text in _KNOWN:
        return _KNOWN[text]
    if text.startswith("eu grant award"):
        return "eu_grant"
    if text in ALIASES:
        return ALIASES[text]
    if text.startswith("is ") and text[3:] in ALIASES:
        return ALIASES[text[3:]]
    match = PARTNER_RE.match(text)
    if match:
        return ("partner", int(match.group(1)), PARTNER_KEYS[match.group(2)])
    return None


class RowError(Exception):
    def __init__(self, column, message):
        super().__init__(message)
        self.column, self.message = column, message


class RowErrors(Exception):
    """Every problem of one row (so a file's problems are all listed at once, not one per attempt)."""

    def __init__(self, errors):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (encoding, not a project list, empty)."""


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_OTHER_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(value, column, order=None):
    """A date in the Commission's formats: ISO (2024-09-01, with or without a time), or day, month and
    year separated by "/", "." or "-". When the day and the month could be swapped (03/04/2024) the
    order must be given (``order`` DMY or MDY): guessing would shift dates by months silently."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        match = _ISO_DATE.fullmatch(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        match = _OTHER_DATE.fullmatch(text)
        if match:
            first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
            if order == "MDY" or (order != "DMY" and second > 12 >= first):
                return date(year, first, second)
            if order == "DMY" or first > 12 or first == second:
                return date(year, second, first)
            raise RowError(column, f"ambiguous date: {text!r} (day and month could be swapped; "
                                   "give the order with --date-order DMY or MDY)")
    except ValueError:
        pass
    raise RowError(column, f"not a date: {text!r} (write it as 2024-09-01 or 01/09/2024)")


def parse_money(value, column):
    if value in (None, ""):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    text = _text(value).replace("\u00a0", "").replace(" ", "").replace("€", "").replace("EUR", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".") if len(text.rsplit(",", 1)[1]) != 3 else text.replace(",", "")
    try:
        amount = Decimal(text)
        if not amount.is_finite():
            raise InvalidOperation
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise RowError(column, f"not an amount in euros: {_text(value)!r}") from None


def parse_flag(value, column, empty=False):
    text = _text(value).lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text == "":
        return empty
    if text in ("no", "n", "false", "0"):
        return False
    raise RowError(column, f"not Yes or No: {_text(value)!r}")


def parse_year(value, column):
    text = _text(value)
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise RowError(column, f"not a year: {text!r}")
    return int(text)


def country_code(value):
    """The ISO code eplus stores for a country code of the Commission's files (EL → GR, UK → GB)."""
    code = (value or "").strip().upper()
    return IMPORT_COUNTRY_CODES.get(code, code)


def organisation_type_key(label):
    return _organisation_types().get(label.lower(), label)


_TYPES = {}


def _organisation_types():
    if not _TYPES:
        from django.utils import translation

        from eplus.organisations.models import OrganisationType

        with translation.override("en"):
            _TYPES.update({str(lbl).lower(): key for key, lbl in OrganisationType.choices})
    return _TYPES


@dataclass
class Mapping:
    """Where each known column is in a row: base key → index; partners: n → {key: index}."""

    base: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    headers: list = field(default_factory=list)
    date_order: str | None = None

    @classmethod
    def from_header(cls, headers, date_order=None):
        mapping = cls(headers=[_text(h) for h in headers], date_order=date_order)
        for index, name in enumerate(headers):
            key = column_key(name)
            if key is None:
                continue
            if isinstance(key, tuple):
                mapping.partners.setdefault(key[1], {})[key[2]] = index
            else:
                mapping.base.setdefault(key, index)
        missing = [k for k in ("identifier", "title") if k not in mapping.base]
        if missing:
            raise ImportFileError("the file has no " + " and no ".join(
                {"identifier": "'Project Identifier'", "title": "'Project Title'"}[k] for k in missing)
                + " column: is it a Commission project list?")
        return mapping

    def missing_columns(self):
        """The headers of the known optional columns the file does not have (their values stay empty)."""
        return [HEADERS[key] for _h, key in BASE_COLUMNS if key not in self.base and key not in NOT_WARNED]

    def header_of(self, key):
        index = self.base.get(key)
        return self.headers[index] if index is not None else HEADERS.get(key, key)

    def card_data(self, row, agency=None):
        """The data for one card from one row (RowError names the column at fault)."""

        def get(key):
            index = self.base.get(key)
            return row[index] if index is not None and index < len(row) else None

        def text(key):
            return _text(get(key))

        errors = []

        def check(parse, *args):
            try:
                return parse(*args)
            except RowError as exc:
                errors.append(exc)
                return None

        def problem(key, message):
            errors.append(RowError(self.header_of(key), message))

        identifier = text("identifier")
        if not identifier:
            problem("identifier", "the project identifier is empty")
        if len(identifier) > 64:
            problem("identifier", "the project identifier is longer than 64 characters")
        title = text("title")
        if not title:
            problem("title", "the project title is empty")
        action_type = text("action_type")
        code = CODE_RE.search(action_type) or CODE_RE.search(identifier)
        status_text = text("status")
        if status_text and status_text.lower() not in STATUS_VALUES:
            problem("status", f"unknown project status: {status_text!r}")
        topics_text = text("topics")
        card_url = text("card_url")
        if card_url and not re.match(r"https?://", card_url):
            problem("card_url", f"not a web address: {card_url!r}")
        data = {
            "identifier": identifier,
            "title": title,
            "summary_en": text("summary"),
            "programme": text("programme") or "Erasmus+",
            "key_action": text("key_action"),
            "action_type": action_type,
            "action": code.group(1) if code else "",
            "sector": (code.group(2) or "") if code else "",
            "call_year": check(parse_year, get("call_year"), self.header_of("call_year")),
            "start_date": check(parse_date, get("start_date"), self.header_of("start_date"), self.date_order),
            "end_date": check(parse_date, get("end_date"), self.header_of("end_date"), self.date_order),
            "eu_grant": check(parse_money, get("eu_grant"), self.header_of("eu_grant")),
            "topics": [t.strip() for t in topics_text.split(TOPIC_SEPARATOR.strip()) if t.strip()],
            "status": STATUS_VALUES.get(status_text.lower()) if status_text else None,
            "commission_status": status_text,
            "good_practice": check(parse_flag, get("good_practice"), self.header_of("good_practice")),
            "success_story": check(parse_flag, get("success_story"), self.header_of("success_story")),
            "website": text("website"),
            "commission_url": card_url,
            "commission_results_available": check(parse_flag, get("results_available"),
                                                  self.header_of("results_available"), None),
            "agency": agency,
        }
        coordinator = {k: text(f"coordinator.{k}") for k in ("name", "type", "address", "region", "country",
                                                              "website")}
        data["coordinator"] = check(self._organisation, coordinator, "Coordinating organisation")
        data["partners"] = [check(self._organisation, values, f"Partner {n}") for n, values in self._partners(row)]
        if errors:
            raise RowErrors(errors)
        return data

    def _partners(self, row):
        """(n, {key: text}) of each partner group of the row that has any value."""
        for n in sorted(self.partners):
            values = {key: _text(row[index]) if index < len(row) else "" for key, index in self.partners[n].items()}
            if any(values.values()):
                yield n, values

    @staticmethod
    def _organisation(values, label):
        if not any(values.values()):
            return None
        if not values.get("name"):
            raise RowError(f"{label} name", "an organisation has data but no name")
        country = country_code(values.get("country"))
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise RowError(f"{label} country", f"not a two-letter country code: {values['country']!r}")
        return {"name": values["name"], "type": organisation_type_key(values.get("type") or ""),
                "address": values.get("address", ""), "region": values.get("region", ""), "country": country,
                "website": values.get("website", "")}


# --- reading files ----------------------------------------------------------------------------

def _is_xlsx(path):
    return Path(path).suffix.lower() == ".xlsx"


def codec_name(encoding):
    """The Python codec of ``encoding`` (UTF-8 when None); ImportFileError when it is unknown."""
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise ImportFileError(f"unknown encoding: {encoding!r}") from None


def _text_encoding(encoding):
    name = codec_name(encoding)
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def check_encoding(path, encoding=None):
    """Read the whole file as bytes, line by line, and raise ImportFileError naming the first byte that is
    not text in ``encoding`` (UTF-8, with or without a BOM, when None): the line, the byte's position
    from the start of the file and its value. An import that replaced it would put "�" in every name."""
    if _is_xlsx(path):
        return
    name = _text_encoding(encoding)
    offset = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode(name)
            except UnicodeDecodeError as exc:
                position = offset + exc.start
                bad = line[exc.start]
                hint = "" if encoding else " (give its encoding with --encoding, e.g. --encoding cp1252)"
                raise ImportFileError(
                    f"the file is not {encoding or 'UTF-8'} text: row {_row_of_line(path, name, number)} "
                    f"(line {number}), byte {position + 1} (0x{bad:02X}) cannot be read{hint}") from None
            offset += len(line)


def _row_of_line(path, name, line):
    """The row of the file (the header is row 1) that the text line ``line`` belongs to (a row may span
    lines: a summary with line breaks)."""
    with open(path, newline="", encoding=name, errors="surrogateescape") as handle:
        reader = csv.reader(handle, _sniff(handle))
        for number, _row in enumerate(reader, start=1):
            if reader.line_num >= line:
                return number
    return "?"


def _open_text(path, encoding=None):
    return open(path, newline="", encoding=_text_encoding(encoding), errors="strict")


def count_rows(path, encoding=None):
    """Data rows in the file (for the progress bar)."""
    path = Path(path)
    if _is_xlsx(path):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            sheet = workbook.worksheets[0]
            return max(0, (sheet.max_row or 1) - 1)
        finally:
            workbook.close()
    check_encoding(path, encoding)
    with _open_text(path, encoding) as handle:
        dialect = _sniff(handle)
        return max(0, sum(1 for _row in csv.reader(handle, dialect)) - 1)


def _sniff(handle):
    """The delimiter the file uses (",", ";", tab or "|"): the one the header line has most of."""
    first = handle.readline()
    handle.seek(0)
    dialect = type("Sniffed", (csv.excel,), {})
    dialect.delimiter = max(",;\t|", key=first.count) if first else ","
    return dialect


def read_rows(path, encoding=None):
    """Yield the header, then each row (a list of values), one at a time."""
    path = Path(path)
    if _is_xlsx(path):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
        return
    csv.field_size_limit(16 * 1024 * 1024)
    with _open_text(path, encoding) as handle:
        dialect = _sniff(handle)
        for row in csv.reader(handle, dialect):
            yield [restore_text(value) for value in row]  # our own CSV's neutralised formulas (core.exports)


def _numbered_rows(path, encoding, date_order):
    """(mapping, iterator of (row number, row)) — row 1 is the header; blank rows are left out."""
    rows = read_rows(path, encoding)
    try:
        header_row = next(rows)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    mapping = Mapping.from_header(header_row, date_order)

    def numbered():
        for number, row in enumerate(rows, start=2):
            if any(_text(v) for v in row):
                yield number, row

    return mapping, numbered()


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)  # (row number in the file, column, message)
    missing_columns: list = field(default_factory=list)
    written: bool = False  # False: nothing was written (invalid file in all-or-nothing mode, or a dry run)


def _parse(mapping, row, agency, agency_codes):
    data = mapping.card_data(row, agency=agency)
    if agency is None:  # the agency code inside the identifier, e.g. 2019-1-LV01-KA201-…
        found = AGENCY_RE.search(data["identifier"])
        data["agency"] = found.group(1) if found and found.group(1) in agency_codes else None
    return data


def import_file(path, *, agency=None, encoding=None, date_order=None, dry_run=False, skip_invalid=False,
                batch_size=BATCH_SIZE, progress=None, source_name=None, now=None, encoding_checked=False):
    """Validate the whole file, then (unless it is invalid and ``skip_invalid`` is False, or ``dry_run``)
    write it in batches. Returns an ImportReport; ImportFileError when the file as a whole is unusable.
    ``progress(done, phase)`` is called as rows are read ("checking", then "importing").

    The file is parsed once: the validation keeps each valid row's parsed data in a temporary file
    (pickled, one row after the other), and the writing reads them back from there, so memory stays
    bounded by one batch and the rows are not parsed twice. ``encoding_checked``: the caller already ran
    :func:`check_encoding` (the command does, when it counts the rows)."""
    from django.utils import timezone

    from eplus.programme.models import Agency

    if date_order is not None and date_order not in DATE_ORDERS:
        raise ImportFileError(f"unknown date order: {date_order!r} (DMY, MDY or YMD)")
    if not encoding_checked:
        check_encoding(path, encoding)
    agencies = {a.code: a for a in Agency.objects.all()}
    report = ImportReport()
    with tempfile.TemporaryFile(prefix="eplus-import-") as spool:
        _validate(report, path, encoding, date_order, agency, agencies, progress, spool)
        if report.errors and not skip_invalid:
            return report
        # Pass 2: the valid rows, as parsed by the validation, in batches.
        writer = BatchWriter(source_name=source_name or Path(path).name, now=now or timezone.now(),
                             agencies=agencies, dry_run=dry_run)
        spool.seek(0)
        with _deferred_postings(dry_run):
            batch = []
            for done, data in _spooled(spool):
                batch.append(data)
                if len(batch) >= batch_size:
                    writer.write(batch)
                    batch = []
                if progress:
                    progress(done, "importing")
            writer.write(batch)
        if progress:
            progress(report.rows, "importing")
    writer.finish()
    report.created, report.updated, report.unchanged = writer.created, writer.updated, writer.unchanged
    report.written = not dry_run and bool(writer.created or writer.updated)
    return report


def _deferred_postings(dry_run):
    """The posting lists of the new cards written once at the end (eplus.results.batch_index)."""
    from contextlib import nullcontext

    from . import batch_index

    return nullcontext() if dry_run else batch_index.deferred_postings()


def _spooled(spool):
    """(row ordinal, parsed data) of each valid row, in file order, from the validation's spool."""
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


def _validate(report, path, encoding, date_order, agency, agencies, progress, spool=None):
    """Pass 1: every row checked; kept: the problems (in ``report``), the identifiers seen (for
    duplicates) and, in ``spool``, the parsed data of each valid row; returns the invalid rows' numbers."""
    mapping, rows = _numbered_rows(path, encoding, date_order)
    report.missing_columns = mapping.missing_columns()
    seen, invalid = {}, set()
    for number, row in rows:
        report.rows += 1
        try:
            data = _parse(mapping, row, agency, agencies)
            first = seen.setdefault(data["identifier"], number)
            if first != number:
                raise RowError(mapping.header_of("identifier"),
                               f"the project identifier {data['identifier']!r} is also on row {first}")
            if spool is not None:
                pickle.dump((report.rows, data), spool, protocol=pickle.HIGHEST_PROTOCOL)
        except RowErrors as exc:
            report.errors += [(number, e.column, e.message) for e in exc.errors]
            invalid.add(number)
        except RowError as exc:
            report.errors.append((number, exc.column, exc.message))
            invalid.add(number)
        except (ValidationError, ValueError, TypeError) as exc:
            message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            report.errors.append((number, "", message))
            invalid.add(number)
        if progress:
            progress(report.rows, "checking")
    report.skipped = len(invalid)
    return invalid


def csv_text(table):
    """A table (list of rows) as CSV text — a helper for tests and tools."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue()


# --- writing batches --------------------------------------------------------------------------

ORG_FIELDS = ("role", "organisation_id", "oid", "name", "organisation_type", "address", "region", "country",
              "website")


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")


def _org_key(role, row):
    organisation = row.get("organisation")
    return (role, organisation.pk if organisation is not None else None, row["oid"], row["name"],
            row["organisation_type"], row["address"], row["region"], row["country"], row["website"])


def _same(old, new):
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old == new if old is not None and new is not None else old is new
    return old == new


class BatchWriter:
    """Writes batches of parsed rows: new cards with ``bulk_create``, changed ones with ``bulk_update``,
    their organisations replaced in bulk, ONE audit event per created or changed card (its field changes
    and, when they changed, its organisations), ONE search-index change per batch. An unchanged row
    writes nothing. Each batch is its own transaction, so the index lock is held for one batch only."""

    def __init__(self, *, source_name, now, agencies, dry_run=False):
        self.source_name, self.now, self.agencies, self.dry_run = source_name[:255], now, agencies, dry_run
        self.created = self.updated = self.unchanged = 0
        self.wrote = False

    def _own_card_url(self, identifier):
        """This platform's URL of the card (reverse() per row cost a millisecond; the pattern is fixed)."""
        if not hasattr(self, "_url_parts"):
            from django.conf import settings
            from django.urls import reverse

            marker = "IDENTIFIER-MARKER-0"
            url = settings.SITE_URL.rstrip("/") + reverse("results:project", args=[marker])
            self._url_parts = url.split(marker, 1)
        if not _URL_SAFE.fullmatch(identifier):  # reverse() would quote it
            from django.conf import settings
            from django.urls import reverse

            return settings.SITE_URL.rstrip("/") + reverse("results:project", args=[identifier])
        head, tail = self._url_parts
        return head + identifier + tail

    def _values(self, data):
        from .publishing import _card_values, _organisation_rows

        data = dict(data)
        agency = data.get("agency")
        data["agency"] = self.agencies.get(agency) if isinstance(agency, str) else agency
        values = _card_values(data)
        url = data["commission_url"]
        if url and url.rstrip("/") == self._own_card_url(data["identifier"]).rstrip("/"):
            url = ""  # our own export read back: the link to this platform's card is not the Commission's
        values.update(commission_url=url, commission_status=data["commission_status"],
                      commission_results_available=data["commission_results_available"])
        rows = _organisation_rows(data)
        values["coordinator"] = rows[0][1]["organisation"] if rows and rows[0][0] == "coordinator" else None
        return values, rows

    def write(self, batch):
        """Compare a batch with the cards it names and write what changed (nothing on a dry run)."""
        if not batch:
            return
        new_cards, changed, org_rows, fields = self._plan(batch)
        self.created += len(new_cards)
        self.updated += len(changed)
        if not self.dry_run and (new_cards or changed):
            self._save(new_cards, changed, org_rows, fields)
            self.wrote = True

    def _plan(self, batch):
        """(new cards, [(changed card, its changes)], {identifier: organisation rows to write}, fields)."""
        from .models import CardOrganisation, ProjectCard

        existing = {card.identifier: card for card in  # not the search fields: the batch index rewrites them
                    ProjectCard.objects.filter(identifier__in=[d["identifier"] for d in batch])
                    .defer("search_document", "search_terms")}
        old_orgs = {}
        for values in (CardOrganisation.objects.filter(card_id__in=[c.pk for c in existing.values()])
                       .order_by("card_id", "order", "pk").values_list("card_id", *ORG_FIELDS)):
            old_orgs.setdefault(values[0], []).append(tuple(values[1:]))
        new_cards, changed, org_rows, fields = [], [], {}, set()
        for data in batch:
            values, rows = self._values(data)
            card = existing.get(data["identifier"])
            if card is None:
                card = ProjectCard(identifier=data["identifier"], published_at=self.now, imported_from=self.source_name,
                                   imported_at=self.now, **values)
                new_cards.append(card)
                org_rows[card.identifier] = rows
                continue
            changes = self._apply(card, values, fields)
            new_orgs = [_org_key(role, row) for role, row in rows]
            if old_orgs.get(card.pk, []) != new_orgs:
                changes["organisations"] = [[o[3] for o in old_orgs.get(card.pk, [])], [o[3] for o in new_orgs]]
                org_rows[card.identifier] = rows
            if not changes:
                self.unchanged += 1
                continue
            if card.imported_at is not None:  # a record of an import stays one, now from this file
                changes.update(self._apply(card, {"imported_from": self.source_name, "imported_at": self.now},
                                           fields))
            changed.append((card, changes))
        return new_cards, changed, org_rows, fields

    @staticmethod
    def _apply(card, values, fields):
        """Set the values that differ on the card; their audit diff {field: [old, new]}."""
        from eplus.core.audit import _plain

        changes = {}
        for key, value in values.items():
            attname = card._meta.get_field(key).attname
            old = getattr(card, attname)
            new = (value.pk if value is not None else None) if attname != key else value
            if not _same(old, new):
                changes[key] = [_plain(old), _plain(new)]
                setattr(card, key, value)
                fields.add(key)
        return changes

    def _save(self, new_cards, changed, org_rows, fields):
        """One transaction: the cards, their organisations, one audit event per card, one index change."""
        from django.db import transaction

        from eplus.core.audit import current_actor
        from eplus.core.models import AuditEvent

        from . import batch_index
        from .models import CardOrganisation, ProjectCard
        from .page_cache import bump_public_cache

        with transaction.atomic():
            _create(ProjectCard, new_cards)
            for card, _changes in changed:
                card.updated_at = self.now
            if changed:
                ProjectCard.objects.bulk_update([c for c, _ch in changed], sorted(fields | {"updated_at"}),
                                                batch_size=500)
            by_identifier = {c.identifier: c for c in new_cards}
            replaced = [c.pk for c, _ch in changed if c.identifier in org_rows]
            by_identifier.update({c.identifier: c for c, _ch in changed})
            if replaced:
                CardOrganisation.objects.filter(card_id__in=replaced).delete()  # the card's event records it
            _insert_organisations([(by_identifier[identifier].pk, role, order, row)
                                   for identifier, rows in org_rows.items() for order, (role, row) in enumerate(rows)])
            actor = current_actor()
            events = []
            for card in new_cards:
                changes = _creation_diff(card)
                changes["organisations"] = [[], [row["name"] for _role, row in org_rows[card.identifier]]]
                events.append(_event(card, "create", changes, actor))
            events += [_event(card, "update", changes, actor) for card, changes in changed]
            _create(AuditEvent, events)
            batch_index.index_cards([c.pk for c in by_identifier.values()])
            bump_public_cache()

    def finish(self):
        """After the last batch (and the deferred posting lists): choose the search's frequent terms
        again if the import outgrew them."""
        if self.wrote:
            from . import index
            from .page_cache import bump_public_cache

            index.refresh_frequent_terms_if_stale()
            bump_public_cache()  # the new cards are now found by all their words


ORG_COLUMNS = ("card_id", "role", "order", "organisation_id", "oid", "name", "organisation_type", "address",
               "region", "country", "website")


def _insert_organisations(entries):
    """The organisation rows of a batch: COPY on PostgreSQL (Django's bulk_create spends seconds building
    the SQL of tens of thousands of rows), bulk_create elsewhere. No audit event: the card's records them."""
    from django.db import connection

    from .models import CardOrganisation

    values = [(card_id, role, order, row["organisation"].pk if row.get("organisation") is not None else None,
               row["oid"], row["name"], row["organisation_type"], row["address"], row["region"], row["country"],
               row["website"]) for card_id, role, order, row in entries]
    if connection.vendor != "postgresql":
        CardOrganisation.objects.bulk_create([CardOrganisation(**dict(zip(ORG_COLUMNS, v, strict=True)))
                                              for v in values], batch_size=1000)
        return
    columns = ", ".join(f'"{c}"' for c in ORG_COLUMNS)
    connection.ensure_connection()
    with connection.connection.cursor() as raw, raw.copy(
            f"COPY {CardOrganisation._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _create(model, objects):
    """``bulk_create`` of new objects, by COPY on PostgreSQL: Django's bulk_create quoted every value of
    a thousand cards (their summaries) or audit events in Python, about 0.5 s a batch each. The same
    values go in (each field's pre_save and get_db_prep_save, as bulk_create does); the ids are taken
    from the table's sequence first, so the objects have their pk afterwards as with bulk_create."""
    from django.db import connection
    from django.db.models.expressions import DatabaseDefault

    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=500)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objects]
    if any(isinstance(v, DatabaseDefault) for row in rows for v in row):
        model.objects.bulk_create(objects, batch_size=500)  # a value only the database knows
        return
    table, pk = model._meta.db_table, model._meta.pk
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk.column, len(objects)])
        ids = [r[0] for r in cur.fetchall()]
    columns = ", ".join(connection.ops.quote_name(c) for c in [pk.column] + [f.column for f in fields])
    with connection.connection.cursor() as raw, raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj, pk_value, row in zip(objects, ids, rows, strict=True):
            copy.write_row([pk_value, *row])
            obj.pk = pk_value
            obj._state.adding, obj._state.db = False, connection.alias


def _creation_diff(card):
    """``diff({}, snapshot(card))`` without the audited-out fields, as AuditedModel.save records a new
    card: the same {field: [None, value]} (secrets masked), with the field names checked once, not per
    card (it was a tenth of a millisecond a row)."""
    from eplus.core.audit import MASK, SECRET_FIELD, _plain

    fields = _CREATION_FIELDS.get(type(card))
    if fields is None:
        fields = _CREATION_FIELDS[type(card)] = [
            (f.name, f.attname, bool(SECRET_FIELD.search(f.name))) for f in sorted(
                card._meta.concrete_fields, key=lambda f: f.name) if f.name not in card.audit_exclude]
    deferred = card.get_deferred_fields()
    changes = {}
    for name, attname, secret in fields:
        if attname in deferred:
            continue
        value = _plain(getattr(card, attname))
        if value is not None:
            changes[name] = [None, (MASK if value else value) if secret else value]
    return changes


_CREATION_FIELDS = {}


def _event(card, action, changes, actor):
    """The audit event AuditedModel.save would write for the card (the same fields; one per card)."""
    from eplus.core.audit import _label
    from eplus.core.models import AuditEvent

    user = actor if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) else None
    return AuditEvent(actor=user, actor_label=_label(actor), action=action, verb="import-card",
                      object_type=card._meta.label_lower, object_id=str(card.pk), object_repr=str(card)[:255],
                      changes=changes, agency_code=card.audit_agency_code)
