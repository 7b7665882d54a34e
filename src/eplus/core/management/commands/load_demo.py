from django.core.management.base import BaseCommand

from eplus.core.audit import acting_as
from eplus.core.demo import load_demo, login_lines


class Command(BaseCommand):
    help = "Create the fictional demo people and organisations (idempotent) and print their log-ins."

    def handle(self, *args, **options):
        with acting_as(None):
            people = load_demo()
        self.stdout.write("\n".join(login_lines(people)))
