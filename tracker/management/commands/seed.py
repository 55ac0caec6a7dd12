"""python manage.py seed: load the shipped participants, treaty and sourced records."""

from django.core.management.base import BaseCommand, CommandError

from tracker.services import SeedError, seed


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
