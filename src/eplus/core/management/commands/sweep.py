from django.core.management.base import BaseCommand
from django.utils import timezone

from eplus.core.audit import acting_as
from eplus.core.sweep import run_sweep


class Command(BaseCommand):
    help = "Run every app's periodic, idempotent housekeeping (purges, reminders)."

    def handle(self, *args, **options):
        with acting_as(None):
            results = run_sweep(timezone.now())
        for label, counts in results.items():
            summary = ", ".join(f"{key}: {value}" for key, value in (counts or {}).items()) or "nothing to do"
            self.stdout.write(f"{label}: {summary}")
