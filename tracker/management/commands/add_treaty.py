"""python manage.py add_treaty --slug SLUG --title TITLE --threshold N --delay-days D ..."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.management.arguments import iso_date
from tracker.models import Treaty
from tracker.services import error_text, save_valid


class Command(BaseCommand):
    help = "Set up another treaty to track, with its entry-into-force rule."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--title", required=True, help="the full title")
        parser.add_argument("--short-title", help="the name people use (default: the title)")
        parser.add_argument("--threshold", type=int, required=True, help="instruments needed for entry into force")
        delay = parser.add_mutually_exclusive_group(required=True)
        delay.add_argument("--delay-days", type=int, help="in force this many days after the threshold instrument")
        delay.add_argument("--delay", help="the delay as a spec: 90d, 3m, 6m,first-of-month")
        later = parser.add_mutually_exclusive_group()
        later.add_argument(
            "--later-delay-days",
            type=int,
            help="for a later deposit: in force this many days after it, or on the general date if later "
            "(default: the same delay as the general one)",
        )
        later.add_argument("--later-delay", help="the same as a spec: 30d, 1m…")
        parser.add_argument(
            "--reio-not-additional",
            action="store_true",
            help="an instrument of a regional economic integration organization (the EU) does not count "
            "in addition to its member States'",
        )
        parser.add_argument("--signature-opens", help="YYYY-MM-DD")
        parser.add_argument("--signature-closes", help="YYYY-MM-DD, the last day to sign")
        parser.add_argument("--adopted-on", help="YYYY-MM-DD")
        parser.add_argument("--depositary-reference", default="")
        parser.add_argument("--time-zone", default="America/New_York", help="of the treaty's calendar dates")

    def handle(self, *args, **options):
        if Treaty.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"a treaty with slug {options['slug']!r} already exists")
        treaty = Treaty(
            slug=options["slug"],
            title=options["title"],
            short_title=options["short_title"] or options["title"][:200],
            threshold=options["threshold"],
            entry_into_force_delay=self.delay(options, "delay"),
            later_joiner_delay=self.delay(options, "later_delay"),  # empty: the same as the general one
            reio_counts_as_additional=not options["reio_not_additional"],
            signature_opens_on=self.date(options, "signature_opens"),
            signature_closes_on=self.date(options, "signature_closes"),
            adopted_on=self.date(options, "adopted_on"),
            depositary_reference=options["depositary_reference"],
            time_zone=options["time_zone"],
        )
        try:
            save_valid(treaty, reason="add_treaty command")
        except ValidationError as error:
            raise CommandError(error_text(error)) from None
        self.stdout.write(f"Added {treaty.short_title} ({treaty.slug}): {treaty.threshold} instruments, "
                          f"in force {treaty.entry_into_force_delay} after the last one.")

    @staticmethod
    def delay(options, name: str) -> str:
        """A delay spec from --NAME, or from --NAME-days as "<days>d"; empty if neither."""
        days = options[f"{name}_days"]
        return f"{days}d" if days is not None else (options[name] or "").strip()

    @staticmethod
    def date(options, name: str):
        value = options[name]
        return iso_date(value, "--" + name.replace("_", "-")) if value else None
