"""./run manage import_project_list FILE [--agency CODE] [--encoding NAME] [--date-order DMY|MDY|YMD]
[--skip-invalid] [--dry-run] [--batch-size N]

Imports one of the Commission's Erasmus+ project lists (CSV or XLSX: per call year, or the 2014–2020 /
2021–2027 KA2 files; any number of partner columns) as public project cards, in batches, with a progress
bar on stderr (eplus.results.importer). The whole file is checked first; every problem is listed with its
row and column. Exit status: 0 imported; 1 nothing written because of invalid rows (the default: all or
nothing) or an unusable file; 2 with ``--skip-invalid`` when rows were skipped. Idempotent by Project
Identifier: importing the same file again writes nothing for the unchanged rows.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from django.utils.translation import gettext, ngettext

from eplus.results import importer


class Progress:
    """rows done / total, percentage and rate, redrawn in place at most a few times a second."""

    def __init__(self, total, stream, interval=0.25):
        self.total, self.stream, self.interval = total, stream, interval
        self.started = self.last = time.monotonic()
        self.drawn = None

    def _write(self, text):
        self.stream.write(text, ending="")
        self.stream.flush()

    def __call__(self, done, phase="", final=False):
        if phase != getattr(self, "phase", phase):  # a new pass over the file: a new bar
            self._write("\n")
            self.started = self.last = time.monotonic()
            self.drawn = None
        self.phase = phase
        now = time.monotonic()
        if final and self.drawn == done:
            self._write("\n")
            return
        if not final and now - self.last < self.interval and done != self.total:
            return
        self.last, self.drawn = now, done
        rate = done / max(now - self.started, 1e-6)
        share = f"{100 * done / self.total:5.1f} %" if self.total else ""
        width = 30
        filled = int(width * done / self.total) if self.total else 0
        bar = "#" * filled + "-" * (width - filled)
        label = f"{self.phase}: " if getattr(self, "phase", "") else ""
        self._write(f"\r{label}[{bar}] {done}/{self.total} rows {share}  {rate:,.0f} rows/s" + ("\n" if final else ""))


class Command(BaseCommand):
    help = "Import a Commission project list (CSV or XLSX) as public project cards."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the project list (.csv or .xlsx)")
        parser.add_argument("--agency", default=None, help="the National Agency code of these projects "
                                                           "(default: the code inside each project identifier)")
        parser.add_argument("--encoding", default=None,
                            help="the text encoding of a CSV file (default: UTF-8, with or without a BOM), "
                                 "e.g. cp1252 or iso-8859-13")
        parser.add_argument("--date-order", default=None, choices=importer.DATE_ORDERS,
                            help="how to read dates such as 03/04/2024 (day and month could be swapped)")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="import the valid rows, skip the invalid ones (exit status 2 when any were)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and report what would "
                                                                   "change, but save nothing")
        parser.add_argument("--batch-size", type=int, default=importer.BATCH_SIZE, help="rows per batch")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        agency = options["agency"]
        if agency:
            from eplus.programme.models import Agency

            if not Agency.objects.filter(code=agency).exists():
                raise CommandError(f"No National Agency with the code {agency!r}.")
        try:
            total = importer.count_rows(path, options["encoding"])
        except importer.ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except Exception as exc:  # a file that is not a CSV or XLSX at all
            raise CommandError(f"Cannot read {path.name}: {exc}") from exc
        progress = Progress(total, self.stderr)
        try:
            report = importer.import_file(
                path, agency=agency, encoding=options["encoding"], date_order=options["date_order"],
                dry_run=options["dry_run"], skip_invalid=options["skip_invalid"],
                batch_size=max(1, options["batch_size"]), progress=progress, source_name=path.name,
                encoding_checked=True)
        except ValueError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        progress(report.rows, getattr(progress, "phase", ""), final=True)
        if report.missing_columns:
            self.stderr.write(gettext("Warning: the file has no column %(columns)s; these values stay empty.")
                              % {"columns": ", ".join(f"'{c}'" for c in report.missing_columns)})
        for number, column, message in report.errors:
            where = f"row {number}" + (f", column '{column}'" if column else "")
            self.stderr.write(f"{where}: {message}")
        if report.errors and not options["skip_invalid"]:
            self.stdout.write(ngettext(
                "%(rows)d rows read: nothing was imported because %(bad)d row is invalid (see above; "
                "--skip-invalid imports the valid rows).",
                "%(rows)d rows read: nothing was imported because %(bad)d rows are invalid (see above; "
                "--skip-invalid imports the valid rows).", report.skipped) % {"rows": report.rows,
                                                                              "bad": report.skipped})
            sys.exit(1)
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{report.rows} rows read: {report.created} projects {verb} created, {report.updated} {verb} updated, "
            f"{report.unchanged} unchanged, {report.skipped} rows skipped because of errors.")
        if report.skipped:
            sys.exit(2)
