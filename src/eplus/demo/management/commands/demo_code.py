from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eplus.demo.loader import DEMO_TOTP_SECRET, current_code


class Command(BaseCommand):
    help = "Print the current authenticator code of the demo staff (the demo only, never in production)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_code is for the demo only.")
        self.stdout.write(f"{current_code()}  (TOTP of secret {DEMO_TOTP_SECRET}, valid about 30 seconds)")
