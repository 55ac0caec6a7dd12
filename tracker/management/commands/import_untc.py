"""python manage.py import_untc SOURCE [--slug SLUG] [--dry-run]"""

from django.core.management.base import BaseCommand, CommandError

from tracker.depositary import PageError
from tracker.sync.runs import FetchError, import_source
from tracker.sync.services import PageRejected


class Command(BaseCommand):
    help = (
        "Import a UN Treaty Collection status page (a saved file or an http(s):// URL): the treaty "
        "(created if new, with no rule until set_rule), every participant's signature, instrument and "
        "withdrawal, the declarations, reservations, objections and end notes, and the page's "
        "Signatories and Parties. All or nothing; the same page again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="a saved status page, or its http(s):// address")
        parser.add_argument("--slug", help="the treaty's slug (default: found by the page's reference, or untc-REF)")
        parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")

    def handle(self, *args, **options):
        source = options["source"]
        try:
            report = import_source(source, slug=options["slug"], dry_run=options["dry_run"])
        except (FetchError, PageError) as error:
            raise CommandError(f"{source}: {error}; nothing was written") from None
        except PageRejected as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"{source} was rejected; nothing was written:\n{lines}") from None
        for line in report.lines():
            self.stdout.write(line)
        if report.dry_run:
            self.stdout.write("dry run: nothing was written")
        elif report.treaty.rule is None and not report.treaty.rule_out_of_scope:
            self.stdout.write(
                f"{report.treaty.slug} has no rule of entry into force yet: "
                f"python manage.py set_rule {report.treaty.slug} --threshold N --delay SPEC"
            )
