"""python manage.py sync_untc [SLUG …]"""

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Treaty
from tracker.sync.runs import sync_all


class Command(BaseCommand):
    help = (
        "Fetch each treaty's depositary status page (its depositary URL) and import what changed, "
        "one request at a time. Every read is recorded; a failed one writes nothing else. "
        "Without SLUG: every treaty that has a depositary URL."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="the treaties to sync (default: all)")

    def handle(self, *args, **options):
        slugs = options["slugs"]
        known = set(Treaty.objects.filter(slug__in=slugs).exclude(depositary_url="").values_list("slug", flat=True))
        missing = [slug for slug in slugs if slug not in known]
        if missing:
            raise CommandError(f"no treaty with a depositary URL: {', '.join(missing)}")
        failed = 0
        for sync in sync_all(slugs or None):
            if sync is None:
                continue
            line = f"{sync.treaty.slug}: {sync.get_outcome_display().lower()}"
            if sync.as_at:
                line += f" (status as at {sync.as_at:%Y-%m-%d %H:%M %Z})"
            if sync.failed:
                failed += 1
                line += f": {sync.error.splitlines()[0] if sync.error else ''}"
            elif sync.created or sync.updated:
                line += f": {sync.created} created, {sync.updated} updated"
            self.stdout.write(line)
        if failed:
            raise CommandError(f"{failed} of the syncs failed; see the admin's depositary syncs")
