from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eplus.core.audit import acting_as
from eplus.demo.loader import load_demo, login_lines
from eplus.programme.loader import load_programme


class Command(BaseCommand):
    help = "Create the fictional demo people and organisations (idempotent) and print their log-ins."

    def handle(self, *args, **options):
        # The demo accounts have a published password and authenticator secret.
        if settings.PRODUCTION:
            raise CommandError("load_demo is for the demo only: its accounts have a published password.")
        with acting_as(None):
            # The provisional data (the 2027 calls copied from 2026) is loaded by the demo only.
            for result in load_programme(provisional=True):
                if result.outcome == "applied" and options.get("verbosity", 1) >= 1:
                    self.stdout.write(str(result))
            people = load_demo()
        self.stdout.write("\n".join(login_lines(people)))
