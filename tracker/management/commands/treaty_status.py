"""python manage.py treaty_status SLUG [--as-of YYYY-MM-DD] [--json]"""

import json

from django.core.management.base import BaseCommand

from tracker.management.arguments import get_treaty, iso_date
from tracker.selectors import status_dict, treaty_status


class Command(BaseCommand):
    help = "Print a treaty's status (signatories, instruments, entry into force) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the treaty's slug, e.g. hanoi-convention")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in the treaty's time zone)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        slug, as_of = options["slug"], options["as_of"]
        treaty = get_treaty(slug)
        day = iso_date(as_of) if as_of else treaty.local_date()
        data = status_dict(treaty, treaty_status(treaty, day))
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            self.stdout.write(f"{treaty.short_title} ({treaty.slug}) as of {day}")
            for key, value in data.items():
                if key not in ("treaty", "as_of"):
                    self.stdout.write(f"  {key.replace('_', ' ')}: {'—' if value is None else value}")
