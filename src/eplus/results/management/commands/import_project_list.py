"""./run manage import_project_list FILE [--agency CODE] [--dry-run]

Imports one of the Commission's per-call-year Erasmus+ project lists (CSV or XLSX, the 2014–2020 or
the 2021+ variant, any number of partner columns) as public project cards, row by row, with a
progress bar on stderr. Idempotent by Project Identifier: importing the same file again updates the
cards. A bad row is reported (row number and column) and skipped; the import goes on.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

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

    def __call__(self, done, final=False):
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
        self._write(f"\r[{bar}] {done}/{self.total} rows {share}  {rate:,.0f} rows/s" + ("\n" if final else ""))


class Command(BaseCommand):
    help = "Import a Commission project list (CSV or XLSX) as public project cards."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the project list (.csv or .xlsx)")
        parser.add_argument("--agency", default=None, help="the National Agency code of these projects "
                                                           "(default: the code inside each project identifier)")
        parser.add_argument("--dry-run", action="store_true", help="check every row but save nothing")

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
            total = importer.count_rows(path)
        except Exception as exc:  # a file that is not a CSV or XLSX at all
            raise CommandError(f"Cannot read {path.name}: {exc}") from exc
        progress = Progress(total, self.stderr)
        try:
            report = importer.import_rows(path, agency=agency, dry_run=options["dry_run"], progress=progress)
        except ValueError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        progress(report.rows, final=True)
        for number, column, message in report.errors:
            where = f"row {number}" + (f", column '{column}'" if column else "")
            self.stderr.write(f"{where}: {message}")
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{report.rows} rows read: {report.created} projects {verb} created, {report.updated} {verb} updated, "
            f"{len(report.errors)} rows skipped because of errors.")
