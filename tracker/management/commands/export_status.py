"""python manage.py export_status SLUG [--as-of YYYY-MM-DD] [--format csv|json]"""

from django.core.management.base import BaseCommand

from tracker.exports import export_csv, export_json
from tracker.management.arguments import get_treaty, iso_date


class Command(BaseCommand):
    help = "Write a treaty's status table as of a date, as CSV (the import format) or JSON."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the treaty's slug, e.g. hanoi-convention")
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today in the treaty's time zone)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        treaty = get_treaty(options["slug"])
        as_of = iso_date(options["as_of"]) if options["as_of"] else treaty.local_date()
        export = export_json if options["format"] == "json" else export_csv
        self.stdout.write(export(treaty, as_of), ending="")
