"""python manage.py import_status SLUG FILE [--dry-run] [--reason TEXT]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.imports import ImportRejected, import_status
from tracker.management.arguments import get_treaty


class Command(BaseCommand):
    help = (
        "Import a status table (CSV) into a treaty: either participant,signature_date,action,action_date"
        "[,cn_reference,source_url,confidence,note] or the depositary's table copied from UNTC. "
        "All or nothing: a file with any bad row is rejected whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the treaty's slug, e.g. hanoi-convention")
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
        parser.add_argument("--reason", default="", help="why, for the audit history")

    def handle(self, *args, **options):
        treaty = get_treaty(options["slug"])
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from None
        try:
            summary = import_status(treaty, path.name, text, dry_run=options["dry_run"], reason=options["reason"])
        except ImportRejected as error:
            lines = "\n".join(f"  {problem}" for problem in error.problems)
            raise CommandError(f"{path.name} was rejected; nothing was written:\n{lines}") from None
        self.stdout.write(f"{path.name}: {summary}")
