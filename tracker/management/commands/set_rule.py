"""python manage.py set_rule SLUG --threshold N --delay SPEC [--later-delay SPEC]
[--not-before DATE] [--subject-to SLUG] [--requires ISO3,ISO3,…]
[--reio-not-additional | --reio-additional]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.management.arguments import iso_date
from tracker.rule_services import rule_values, set_rule
from tracker.selectors import status_dict, treaty_status
from tracker.services import error_text

SPEC_HELP = (
    "Nd (the Nth day after) or Nm (N calendar months after), optionally followed by ,first-of-month "
    "or ,first-of-next-month; e.g. 90d, 6m,first-of-month"
)


class Command(BaseCommand):
    help = (
        "Give a treaty its rule of entry into force (created if it is not imported yet; import_untc "
        "fills it in). The whole rule: an option left out is cleared, except the REIO counting. "
        "The status follows the rule at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--threshold", type=int, required=True, help="instruments needed")
        parser.add_argument("--delay", required=True, help=f"after the threshold instrument: {SPEC_HELP}")
        parser.add_argument("--later-delay", default="", help="after a later instrument (default: --delay)")
        parser.add_argument("--later-after-entry-into-force", action="store_true",
                            help="the later delay is for instruments deposited after the entry into force "
                            "(CWC art. XXI(2)), not after the threshold instrument")
        parser.add_argument("--not-before", help="the general date is never earlier (YYYY-MM-DD)")
        parser.add_argument("--subject-to", default="", metavar="SLUG", help="the convention it cannot precede")
        parser.add_argument("--requires", default="", metavar="ISO3,ISO3,…", help="participants all needed")
        reio = parser.add_mutually_exclusive_group()
        reio.add_argument("--reio-not-additional", dest="reio", action="store_false", default=None,
                          help="a REIO's instrument does not count in addition to its members' (the UN rule)")
        reio.add_argument("--reio-additional", dest="reio", action="store_true",
                          help="a REIO's instrument counts toward the threshold")
        parser.add_argument("--withdrawal-delay", default=None, metavar="SPEC",
                            help="when a withdrawal takes effect after its notification, for notes that do not say")
        parser.add_argument("--out-of-scope", default=None, metavar="TEXT",
                            help="why no date is computed (a condition the tracker cannot check)")
        parser.add_argument("--reason", default="", help="why, for the audit history")

    def handle(self, *args, **options):
        if options["threshold"] < 1:
            raise CommandError("--threshold: the number of instruments needed is at least 1")
        try:
            values = rule_values(
                threshold=options["threshold"],
                delay=options["delay"],
                later_delay=options["later_delay"],
                later_after_entry_into_force=options["later_after_entry_into_force"],
                not_before=iso_date(options["not_before"], "--not-before") if options["not_before"] else None,
                subject_to=options["subject_to"],
                requires=options["requires"],
                reio_additional=options["reio"],
                withdrawal_delay=options["withdrawal_delay"],
                out_of_scope=options["out_of_scope"],
            )
            treaty, created = set_rule(options["slug"], values, reason=options["reason"])
        except ValidationError as error:
            raise CommandError(f"{options['slug']}: {error_text(error)}; nothing was written") from None
        status = status_dict(treaty, treaty_status(treaty))
        made = "created (import its depositary page to fill it in)" if created else "updated"
        self.stdout.write(f"{treaty.slug}: rule {made}: {describe(treaty)}")
        self.stdout.write(
            f"{treaty.slug}: entry into force {status['entry_into_force_on'] or 'not yet'}"
            f" (computed {status['entry_into_force_computed_on'] or 'none'},"
            f" stated {status['entry_into_force_stated_on'] or 'none'})"
        )


def describe(treaty) -> str:
    """The rule in one line, as the command set it."""
    parts = [f"threshold {treaty.threshold}", f"delay {treaty.entry_into_force_delay}"]
    if treaty.later_joiner_delay:
        parts.append(f"later {treaty.later_joiner_delay}")
    if treaty.later_after_entry_into_force:
        parts.append("later means after entry into force")
    if treaty.not_before:
        parts.append(f"not before {treaty.not_before}")
    if treaty.subject_to:
        parts.append(f"subject to {treaty.subject_to.slug}")
    if treaty.required_participants:
        parts.append(f"requires {len(treaty.required_codes)} participants")
    parts.append("REIO additional" if treaty.reio_counts_as_additional else "REIO not additional")
    return ", ".join(parts)
