"""`set_rule` and the service behind it: one validation for the command and the admin."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tracker.models import Treaty


def rule_of(slug: str) -> tuple:
    t = Treaty.objects.get(slug=slug)
    return (t.threshold, t.entry_into_force_delay, t.later_joiner_delay, t.not_before,
            t.subject_to.slug if t.subject_to else None, t.required_participants, t.reio_counts_as_additional)


def test_set_rule_sets_the_whole_rule_and_prints_the_status(seeded, capsys):
    call_command("set_rule", "hanoi-convention", "--threshold", "40", "--delay", "90d", "--later-delay", "30d",
                 "--not-before", "2026-01-01", "--requires", "fra,deu", "--reio-not-additional")
    assert rule_of("hanoi-convention") == (40, "90d", "30d", date(2026, 1, 1), None, "FRA,DEU", False)
    out = capsys.readouterr().out
    assert "threshold 40, delay 90d, later 30d, not before 2026-01-01, requires 2 participants" in out
    assert "entry into force not yet (computed none, stated none)" in out


def test_an_option_left_out_is_cleared_but_the_reio_counting_is_kept(seeded):
    call_command("set_rule", "hanoi-convention", "--threshold", "40", "--delay", "90d", "--later-delay", "30d",
                 "--reio-additional")
    call_command("set_rule", "hanoi-convention", "--threshold", "30", "--delay", "3m,first-of-next-month")
    assert rule_of("hanoi-convention") == (30, "3m,first-of-next-month", "", None, None, "", True)


def test_a_rule_for_a_treaty_not_imported_yet_creates_it_with_its_slug(seeded, capsys):
    call_command("set_rule", "ottawa", "--threshold", "40", "--delay", "6m,first-of-month")
    treaty = Treaty.objects.get(slug="ottawa")
    assert (treaty.title, treaty.threshold) == ("ottawa", 40)
    assert "created (import its depositary page to fill it in)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--delay", "90"], "entry_into_force_delay"),
        (["--delay", "3w"], "unknown unit"),
        (["--delay", "90d", "--later-delay", "6m,first-of-year"], "later_joiner_delay"),
        (["--delay", "90d", "--subject-to", "hanoi-convenion"], "Did you mean 'hanoi-convention'"),
        (["--delay", "90d", "--requires", "FRA,XYZ"], "XYZ"),
        (["--delay", "90d", "--not-before", "1 Jan 1995"], "--not-before: '1 Jan 1995' is not a date"),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_error_and_nothing_written(seeded, arguments, message):
    before = rule_of("hanoi-convention")
    with pytest.raises(CommandError, match=message):
        call_command("set_rule", "hanoi-convention", "--threshold", "40", *arguments)
    assert rule_of("hanoi-convention") == before


def test_a_threshold_below_one_is_refused(seeded):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("set_rule", "hanoi-convention", "--threshold", "0", "--delay", "90d")


def test_a_protocol_cannot_be_subject_to_itself_through_its_convention(seeded):
    call_command("set_rule", "protocol", "--threshold", "10", "--delay", "3m", "--subject-to", "hanoi-convention")
    with pytest.raises(CommandError, match="cannot come back to itself"):
        call_command("set_rule", "hanoi-convention", "--threshold", "40", "--delay", "90d", "--subject-to", "protocol")


def test_a_protocol_never_enters_into_force_before_its_convention(seeded):
    from tracker.selectors import treaty_status

    call_command("set_rule", "protocol", "--threshold", "1", "--delay", "0d", "--subject-to", "hanoi-convention")
    protocol = Treaty.objects.get(slug="protocol")
    # The Hanoi Convention is not in force: neither is a protocol subject to it, whatever its own count.
    assert treaty_status(protocol).entry_into_force_computed_on is None
