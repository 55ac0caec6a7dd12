"""python manage.py seed: load the shipped participants, treaty and sourced records."""

import csv

from django.core.management.base import BaseCommand, CommandError

from tracker.models import Source
from tracker.services import FIXTURES_DIR, SeedError, seed


class Command(BaseCommand):
    help = (
        "Load all participants, the Hanoi Convention and its sourced signatures, domestic steps "
        "and reported figures. Safe to run again: it creates only what it never created before."
    )

    def handle(self, *args, **options):
        try:
            report = seed()
        except SeedError as error:
            raise CommandError("The seed data has errors; nothing was written.\n" + str(error)) from None
        for name, summary in report.items():
            self.stdout.write(f"{name}: {summary.created} created, {summary.kept} already there")
        for line in outdated_article_names():
            self.stdout.write(self.style.WARNING(line))


def outdated_article_names() -> list[str]:
    """The shipped articles whose publisher or title in the database is not the one
    fixtures/seeds/index.csv gives now. Seed never overwrites a row (staff may have
    corrected it), so it names them for staff to correct in the admin instead."""
    with (FIXTURES_DIR / "seeds" / "index.csv").open(encoding="utf-8", newline="") as rows:
        shipped = {row["file"]: (row["publisher"], row["title"]) for row in csv.DictReader(rows)}
    found = []
    for source in Source.objects.filter(seed_article__in=shipped).order_by("seed_article"):
        publisher, title = shipped[source.seed_article]
        if (source.publisher, source.title) != (publisher, title):
            found.append(
                f"The source “{source}” ({source.seed_article}) has publisher {source.publisher!r} and title "
                f"{source.title!r}; the shipped index now gives {publisher!r} and {title!r}. "
                "Correct it in the admin if nobody changed it on purpose."
            )
    return found
