"""Import of the Commission's per-call-year project lists (CSV or XLSX) into public project cards.

Used by ``./run manage import_project_list FILE``. Rows are read one at a time (csv reader or openpyxl
read-only) and each goes through :func:`eplus.results.publishing.publish_project_card` — the same code
path as the projects app — so the import is idempotent by ``Project Identifier`` (a second run
updates the cards) and every card is audited and indexed for search.

Header variants (the column names are matched case-insensitively, ignoring spacing, curly
apostrophes and British/American spelling; unknown columns are ignored):

- 2021+ files: the columns of :data:`eplus.results.opendata.BASE_COLUMNS`, with ``Topics`` and the
  newer ``Start date`` / ``End date``;
- 2014–2020 files: no ``Topics`` / ``Start date`` / ``End date``; the grant column may be the short
  ``EU Grant award in euros``; some spell ``organization``; the flags may be ``Good Practice`` /
  ``Success Story`` without ``Is``; the identifier may be headed ``Project Number``;
- any number of ``Partner n …`` groups (``Partner n name``, ``… organisation type``, ``… address``,
  ``… region``, ``… country``, ``… website``).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from eplus.core.exports import restore_text

from .models import ProjectStatus
from .opendata import BASE_COLUMNS, TOPIC_SEPARATOR

# normalised header → key
ALIASES = {
    "project number": "identifier",
    "project id": "identifier",
    "call": "call_year",
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
    "summary": "summary",
    "title": "title",
}
PARTNER_RE = re.compile(r"^partner (\d+) (name|organisation type|type|address|region|country|website)$")
PARTNER_KEYS = {"name": "name", "organisation type": "type", "type": "type", "address": "address",
                "region": "region", "country": "country", "website": "website"}
STATUS_VALUES = {"ongoing": ProjectStatus.ONGOING, "finalised": ProjectStatus.FINALISED,
                 "finalized": ProjectStatus.FINALISED, "closed": ProjectStatus.FINALISED,
                 "completed": ProjectStatus.FINALISED, "terminated": ProjectStatus.TERMINATED}
AGENCY_RE = re.compile(r"-([A-Z]{2}\d{2})-")
CODE_RE = re.compile(r"\b(KA\d{1,3})(?:-([A-Z]{3}))?\b")


def normalise(name):
    text = str(name or "").replace("\ufeff", "").replace("\u2019", "'").replace("\u2018", "'").strip().lower()
    text = text.replace("organization", "organisation")
    return re.sub(r"\s+", " ", text)


_KNOWN = {normalise(h): key for h, key in BASE_COLUMNS}


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


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value, column):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
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
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise RowError(column, f"not an amount in euros: {_text(value)!r}") from None


def parse_flag(value, column):
    text = _text(value).lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("", "no", "n", "false", "0"):
        return False
    raise RowError(column, f"not Yes or No: {_text(value)!r}")


def parse_year(value, column):
    text = _text(value)
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise RowError(column, f"not a year: {text!r}")
    return int(text)


def organisation_type_key(label):
    from django.utils import translation

    from eplus.organisations.models import OrganisationType

    with translation.override("en"):
        by_label = {str(lbl).lower(): key for key, lbl in OrganisationType.choices}
    return by_label.get(label.lower(), label)


@dataclass
class Mapping:
    """Where each known column is in a row: base key → index; partners: n → {key: index}."""

    base: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    headers: list = field(default_factory=list)

    @classmethod
    def from_header(cls, headers):
        mapping = cls(headers=[_text(h) for h in headers])
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
            raise ValueError("the file has no " + " and no ".join(
                {"identifier": "'Project Identifier'", "title": "'Project Title'"}[k] for k in missing)
                + " column: is it a Commission project list?")
        return mapping

    def header_of(self, key):
        index = self.base.get(key)
        return self.headers[index] if index is not None else key

    def card_data(self, row, agency=None):
        """The data for publish_project_card from one row (RowError names the column at fault)."""

        def get(key):
            index = self.base.get(key)
            return row[index] if index is not None and index < len(row) else None

        def text(key):
            return _text(get(key))

        identifier = text("identifier")
        if not identifier:
            raise RowError(self.header_of("identifier"), "the project identifier is empty")
        title = text("title")
        if not title:
            raise RowError(self.header_of("title"), "the project title is empty")
        action_type = text("action_type")
        code = CODE_RE.search(action_type) or CODE_RE.search(identifier)
        status_text = text("status").lower()
        if status_text and status_text not in STATUS_VALUES:
            raise RowError(self.header_of("status"), f"unknown project status: {text('status')!r}")
        topics_text = text("topics")
        data = {
            "identifier": identifier,
            "title": title,
            "summary_en": text("summary"),
            "programme": text("programme") or "Erasmus+",
            "key_action": text("key_action"),
            "action_type": action_type,
            "action": code.group(1) if code else "",
            "sector": (code.group(2) or "") if code else "",
            "call_year": parse_year(get("call_year"), self.header_of("call_year")),
            "start_date": parse_date(get("start_date"), self.header_of("start_date")),
            "end_date": parse_date(get("end_date"), self.header_of("end_date")),
            "eu_grant": parse_money(get("eu_grant"), self.header_of("eu_grant")),
            "topics": [t.strip() for t in topics_text.split(TOPIC_SEPARATOR.strip()) if t.strip()],
            "status": STATUS_VALUES.get(status_text) if status_text else None,
            "good_practice": parse_flag(get("good_practice"), self.header_of("good_practice")),
            "success_story": parse_flag(get("success_story"), self.header_of("success_story")),
            "website": text("website"),
            "agency": agency,
        }
        coordinator = {k: text(f"coordinator.{k}") for k in ("name", "type", "address", "region", "country",
                                                              "website")}
        data["coordinator"] = self._organisation(coordinator, "Coordinating organisation")
        partners = []
        for n in sorted(self.partners):
            values = {key: _text(row[index]) if index < len(row) else "" for key, index in self.partners[n].items()}
            if any(values.values()):
                partners.append(self._organisation(values, f"Partner {n}"))
        data["partners"] = partners
        return data

    @staticmethod
    def _organisation(values, label):
        if not any(values.values()):
            return None
        if not values.get("name"):
            raise RowError(f"{label} name", "an organisation has data but no name")
        country = (values.get("country") or "").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise RowError(f"{label} country", f"not a two-letter ISO country code: {values['country']!r}")
        return {"name": values["name"], "type": organisation_type_key(values.get("type") or ""),
                "address": values.get("address", ""), "region": values.get("region", ""), "country": country,
                "website": values.get("website", "")}


# --- reading files ----------------------------------------------------------------------------

def _open_text(path):
    return open(path, newline="", encoding="utf-8-sig", errors="replace")


def count_rows(path):
    """Data rows in the file (for the progress bar)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            sheet = workbook.worksheets[0]
            return max(0, (sheet.max_row or 1) - 1)
        finally:
            workbook.close()
    with _open_text(path) as handle:
        dialect = _sniff(handle)
        return max(0, sum(1 for _row in csv.reader(handle, dialect)) - 1)


def _sniff(handle):
    """The delimiter the file uses (",", ";", tab or "|"): the one the header line has most of."""
    first = handle.readline()
    handle.seek(0)
    dialect = type("Sniffed", (csv.excel,), {})
    dialect.delimiter = max(",;\t|", key=first.count) if first else ","
    return dialect


def read_rows(path):
    """Yield the header, then each row (a list of values), one at a time."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
        return
    with _open_text(path) as handle:
        dialect = _sniff(handle)
        for row in csv.reader(handle, dialect):
            yield [restore_text(value) for value in row]  # our own CSV's neutralised formulas (core.exports)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list = field(default_factory=list)  # (row number in the file, column, message)
    rows: int = 0


def import_rows(path, *, agency=None, dry_run=False, progress=None):
    """Import the file; returns an ImportReport. ``progress(done)`` is called after every row."""
    from .models import ProjectCard
    from .publishing import publish_project_card

    from eplus.programme.models import Agency

    agency_codes = set(Agency.objects.values_list("code", flat=True))
    report = ImportReport()
    rows = read_rows(path)
    try:
        header_row = next(rows)
    except StopIteration:
        raise ValueError("the file is empty") from None
    mapping = Mapping.from_header(header_row)
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(_text(v) for v in row):
            continue
        report.rows += 1
        try:
            data = mapping.card_data(row, agency=agency)
            if agency is None:  # the agency code inside the identifier, e.g. 2019-1-LV01-KA201-…
                found = AGENCY_RE.search(data["identifier"])
                data["agency"] = found.group(1) if found and found.group(1) in agency_codes else None
            exists = ProjectCard.objects.filter(identifier=data["identifier"]).exists()
            if not dry_run:
                publish_project_card(data)
            if exists:
                report.updated += 1
            else:
                report.created += 1
        except RowError as exc:
            report.errors.append((number, exc.column, exc.message))
        except ValidationError as exc:
            report.errors.append((number, "", "; ".join(exc.messages)))
        except (ValueError, TypeError) as exc:
            report.errors.append((number, "", str(exc)))
        if progress:
            progress(report.rows)
    return report


def csv_text(table):
    """A table (list of rows) as CSV text — a helper for tests and tools."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return out.getvalue()
