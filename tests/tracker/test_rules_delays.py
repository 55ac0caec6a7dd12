"""Delays of entry into force (tracker.rules.Delay), as tables of cases. No database."""

from datetime import date

import pytest

from tracker.rules import Delay

D = date.fromisoformat

# (case, spec, the delay it is)
GOOD_SPECS = [
    ("ninety days", "90d", Delay(90, "d")),
    ("on the deposit itself", "0d", Delay(0, "d")),
    ("three calendar months", "3m", Delay(3, "m")),
    ("the first day of the sixth month after the month", "6m,first-of-month", Delay(6, "m", "first-of-month")),
    ("the first day of the month following three months", "3m,first-of-next-month",
     Delay(3, "m", "first-of-next-month")),
    ("days snapped to the first of the next month", "60d,first-of-next-month", Delay(60, "d", "first-of-next-month")),
    ("spaces around the parts are allowed", " 6m , first-of-month ", Delay(6, "m", "first-of-month")),
    ("leading zeros are read as the number", "090d", Delay(90, "d")),
    ("the longest delay in days that fits in the calendar", "3652058d", Delay(3652058, "d")),
]  # fmt: skip


@pytest.mark.parametrize("spec, delay", [c[1:] for c in GOOD_SPECS], ids=[c[0] for c in GOOD_SPECS])
def test_a_good_spec_parses_to_its_delay_and_prints_back(spec, delay):
    assert Delay.parse(spec) == delay
    assert Delay.parse(str(delay)) == delay
    assert str(Delay.parse(spec)) == str(delay)


@pytest.mark.parametrize(
    "delay, spec",
    [
        (Delay.days(90), "90d"),
        (Delay.days(0), "0d"),
        (Delay.months(3), "3m"),
        (Delay.months(6, "first-of-month"), "6m,first-of-month"),
        (Delay(3, "m", "first-of-next-month"), "3m,first-of-next-month"),
    ],
)
def test_a_delay_prints_as_its_canonical_spec(delay, spec):
    assert str(delay) == spec


def test_days_is_a_delay_in_days():
    assert Delay.days(30) == Delay(30, "d") == Delay.parse("30d")


# (case, spec, words the error must contain)
BAD_SPECS = [
    ("a number without unit", "90", ["'90'", "no unit"]),
    ("a unit without number", "d", ["'d'", "no number"]),
    ("a negative delay", "-3d", ["'-3d'", "negative"]),
    ("weeks are no unit", "3w", ["unknown unit 'w'"]),
    ("an upper-case unit is no unit", "3D", ["unknown unit 'D'"]),
    ("a fraction of a month", "3.5m", ["'3.5m'", "whole number"]),
    ("an unknown snap", "3m,first-of-year", ["unknown snap 'first-of-year'"]),
    ("two commas", "3m,,", ["more than one comma"]),
    ("a comma with nothing after it", "3m,", ["nothing after the comma"]),
    ("a snap with no length", ",first-of-month", ["no length"]),
    ("an empty spec", "", ["empty"]),
    ("only spaces", "   ", ["empty"]),
    ("a delay longer than the calendar", "99999999d", ["'99999999d'", "too long", "at most 3652058d"]),
    ("months longer than the calendar", "200000m", ["too long", "at most 119987m"]),
]


@pytest.mark.parametrize("spec, words", [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_a_bad_spec_is_refused_naming_the_problem_and_the_accepted_forms(spec, words):
    with pytest.raises(ValueError) as error:
        Delay.parse(spec)
    message = str(error.value)
    for word in words:
        assert word in message
    if "too long" not in message:
        assert '"90d"' in message and "first-of-next-month" in message  # the accepted forms


@pytest.mark.parametrize(
    "amount, unit, snap, words",
    [
        (-1, "d", "", ["negative"]),
        (3, "w", "", ["unknown unit 'w'"]),
        (3, "m", "first-of-year", ["unknown snap 'first-of-year'"]),
        (3652059, "d", "", ["too long"]),
    ],
)
def test_a_delay_made_directly_is_checked_like_a_parsed_one(amount, unit, snap, words):
    with pytest.raises(ValueError) as error:
        Delay(amount, unit, snap)
    assert all(word in str(error.value) for word in words)


def test_a_delay_amount_is_a_whole_number():
    with pytest.raises(TypeError):
        Delay(1.5, "d")
    with pytest.raises(TypeError):
        Delay.parse(90)


# (case, spec, start, end)
AFTER_CASES = [
    ("Ottawa art. 17: 40th instrument on 16 Sep 1998, in force 1 Mar 1999", "6m,first-of-month", "1998-09-16",
     "1999-03-01"),
    ("Migrant Workers art. 87: 20th on 14 Mar 2003, in force 1 Jul 2003", "3m,first-of-next-month", "2003-03-14",
     "2003-07-01"),
    ("CWC art. XXI: 65th on 31 Oct 1996, in force 29 Apr 1997", "180d", "1996-10-31", "1997-04-29"),
    ("ICCPR art. 49: 35th on 23 Dec 1975, in force 23 Mar 1976", "3m", "1975-12-23", "1976-03-23"),
    ("CRPD art. 45: 20th on 3 Apr 2008, in force 3 May 2008", "30d", "2008-04-03", "2008-05-03"),
    ("ENMOD art. IX: in force on the deposit of the 20th, 5 Oct 1978", "0d", "1978-10-05", "1978-10-05"),
    ("CCW Protocol IV: 20th consent on 30 Jan 1998, in force 30 Jul 1998", "6m", "1998-01-30", "1998-07-30"),
    ("a month after 31 January is the last day of February", "1m", "2023-01-31", "2023-02-28"),
    ("a month after 31 January of a leap year is 29 February", "1m", "2024-01-31", "2024-02-29"),
    ("a month after 31 March is 30 April", "1m", "2026-03-31", "2026-04-30"),
    ("months across the end of a year", "3m", "2025-11-30", "2026-02-28"),
    ("twelve months are a year", "12m", "2024-02-29", "2025-02-28"),
    ("first of month: the day within the month does not matter", "6m,first-of-month", "1998-09-30", "1999-03-01"),
    ("first of month from a first stays on it", "6m,first-of-month", "1998-09-01", "1999-03-01"),
    ("first of next month from a first moves a month on", "3m,first-of-next-month", "2003-03-01", "2003-07-01"),
    ("first of next month from the last day of a month", "3m,first-of-next-month", "2003-03-31", "2003-07-01"),
    ("first of next month across the end of a year", "3m,first-of-next-month", "2025-10-15", "2026-02-01"),
    ("days then first of next month", "60d,first-of-next-month", "2026-01-01", "2026-04-01"),
    ("days then first of month", "60d,first-of-month", "2026-01-01", "2026-03-01"),
    ("zero months is the day itself", "0m", "2026-01-31", "2026-01-31"),
    ("zero months, first of next month", "0m,first-of-next-month", "2026-12-31", "2027-01-01"),
    ("the last day that fits: no overflow", "1d", "9999-12-30", "9999-12-31"),
    ("months ending on the last day of the calendar", "3m", "9999-09-30", "9999-12-30"),
    ("the longest delay from the first day of the calendar", "3652058d", "0001-01-01", "9999-12-31"),
    ("past the calendar in days: capped to 31 Dec 9999", "2d", "9999-12-31", "9999-12-31"),
    ("past the calendar in months: capped", "1m", "9999-12-15", "9999-12-31"),
    ("a first of next month past the calendar: capped", "3m,first-of-next-month", "9999-09-30", "9999-12-31"),
    ("the longest delay in months from the first day of the calendar", "119987m", "0001-01-31", "9999-12-31"),
]  # fmt: skip


@pytest.mark.parametrize("spec, start, end", [c[1:] for c in AFTER_CASES], ids=[c[0] for c in AFTER_CASES])
def test_a_delay_after_a_day_follows_the_table(spec, start, end):
    assert Delay.parse(spec).after(D(start)) == D(end)


@pytest.mark.parametrize("spec", ["0d", "1d", "30d", "180d", "1m", "3m", "6m,first-of-month",
                                  "3m,first-of-next-month", "60d,first-of-next-month", "0m,first-of-next-month"])
def test_a_delay_never_ends_before_an_earlier_start_nor_raises(spec):
    """Monotone: what the precision of "on or before" dates relies on; and no overflow."""
    delay = Delay.parse(spec)
    starts = [D("2024-01-01"), D("2024-01-30"), D("2024-01-31"), D("2024-02-28"), D("2024-02-29"), D("2024-03-01"),
              D("2024-12-31"), D("9999-06-30"), D("9999-12-01"), D("9999-12-31"), date.min]
    starts.sort()
    ends = [delay.after(start) for start in starts]
    assert ends == sorted(ends)
    assert all(end >= start for start, end in zip(starts, ends) if delay.snap != "first-of-month")
