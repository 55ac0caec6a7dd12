"""python manage.py treaty_status SLUG [--as-of YYYY-MM-DD] [--json]"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Treaty
from tracker.selectors import status_dict, treaty_status


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date of the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Print a treaty's status (signatories, instruments, entry into force) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the treaty's slug, e.g. hanoi-convention")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in the treaty's time zone)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        slug, as_of = options["slug"], options["as_of"]
        treaty = Treaty.objects.filter(slug=slug).first()
        if treaty is None:
            known = ", ".join(Treaty.objects.values_list("slug", flat=True)) or "none yet; run `manage.py seed`"
            raise CommandError(f"no treaty with slug {slug!r} (known: {known})")
        day = iso_date(as_of) if as_of else treaty.local_date()
        data = status_dict(treaty, treaty_status(treaty, day))
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            self.stdout.write(f"{treaty.short_title} ({treaty.slug}) as of {day}")
            for key, value in data.items():
                if key not in ("treaty", "as_of"):
                    self.stdout.write(f"  {key.replace('_', ' ')}: {'—' if value is None else value}")
