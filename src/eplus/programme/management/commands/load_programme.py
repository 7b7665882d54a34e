"""``./run manage load_programme [--force] [--data-dir DIR]``: load the versioned reference data.

Idempotent: a data set whose version is already loaded is skipped, so running it again changes
nothing and writes no audit events. See :mod:`eplus.programme.loader` for how administrators'
edits are protected.
"""

from django.core.management.base import BaseCommand, CommandError

from eplus.programme.loader import DATA_DIR, ReferenceDataError, load_programme


class Command(BaseCommand):
    help = "Load the programme reference data (countries, agencies, actions, calls, priorities, topics)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Apply every data file even when its version is already loaded "
                                 "(overwrites administrators' edits of the fields the files list).")
        parser.add_argument("--data-dir", default=str(DATA_DIR), help="Folder of the JSON data files.")
        parser.add_argument("--provisional", action="store_true",
                            help="Also load the data files marked provisional (the demo's copies of next year's "
                                 "calls); their calls are marked provisional on every page.")

    def handle(self, *args, force=False, data_dir=None, provisional=False, **options):
        try:
            results = load_programme(data_dir=data_dir, force=force, provisional=provisional)
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            style = self.style.WARNING if result.outcome == "needs-new-version" else self.style.SUCCESS
            if options.get("verbosity", 1) >= 1:
                self.stdout.write(style(str(result)))
