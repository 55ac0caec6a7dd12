"""python manage.py check_alerts [--dry-run]"""

from django.core.management.base import BaseCommand

from tracker.alerts import services


class Command(BaseCommand):
    help = "Check every treaty for alerts that became due, record them and send them, as the worker does."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what is due; record and send nothing")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        for report in services.run_checks(dry_run=dry_run):
            self.stdout.write(f"{report.treaty}:")
            self.stdout.write(f"  due: {', '.join(report.due) or 'nothing'}")
            verb = "would send" if dry_run else "new, to send"
            self.stdout.write(f"  {verb}: {', '.join(report.sent) or 'nothing'}")
            self.stdout.write(f"  suppressed: {', '.join(report.suppressed) or 'nothing'}")
        if dry_run:
            return
        totals = dict.fromkeys(("sent", "retry", "failed", "lost"), 0)
        while claim := services.claim_deliveries():
            for key, value in services.send_batch(claim).items():
                totals[key] += value
        line = f"emails: {totals['sent']} sent, {totals['retry']} to retry, {totals['failed']} failed"
        if totals["lost"]:  # another worker took them over after this one's lease ran out
            line += f", {totals['lost']} left to another worker"
        self.stdout.write(line)
