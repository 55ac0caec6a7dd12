"""Rules of entry into force in words, for the pages, the feeds and the calendar.

Pure functions of plain values: nothing here reads the database.
"""

from datetime import date

from tracker import rules


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st…"""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def months(amount: int) -> str:
    return f"{amount} month{'s' if amount != 1 else ''}"


def delay_words(spec: str | rules.Delay) -> str:
    """A delay spec in words, to be followed by what it runs from ("… the 40th instrument").

    "90d" → "the 90th day after"; "0d" → "the day of"; "3m" → "3 months after";
    "6m,first-of-month" → "the first day of the month, 6 months after";
    "3m,first-of-next-month" → "the first day of the month following 3 months after".
    Raises ValueError for a spec ``rules.Delay.parse`` does not read.
    """
    delay = spec if isinstance(spec, rules.Delay) else rules.Delay.parse(spec)
    if delay.unit == rules.DAYS:
        length = "the day of" if delay.amount == 0 else f"the {ordinal(delay.amount)} day after"
    else:
        length = "the day of" if delay.amount == 0 else f"{months(delay.amount)} after"
    if delay.snap == rules.FIRST_OF_MONTH:
        if delay.amount == 0:
            return "the first day of the month of"
        return f"the first day of the month, {length}"
    if delay.snap == rules.FIRST_OF_NEXT_MONTH:
        if delay.amount == 0:
            return "the first day of the month following"
        return f"the first day of the month following {length}"
    return length


def rule_words(threshold: int | None, delay: str) -> str:
    """When a rule says the treaty enters into force, e.g. "the 90th day after the 40th
    instrument"; "" without a rule (no threshold or no delay), or for a delay it cannot read."""
    if not threshold or not delay:
        return ""
    try:
        return f"{delay_words(delay)} the {ordinal(threshold)} instrument"
    except ValueError:
        return ""


def treaty_rule_words(treaty) -> str:
    """``rule_words`` of a treaty's own rule; "" while it has none."""
    if not treaty.has_rule:
        return ""
    return rule_words(treaty.threshold, treaty.entry_into_force_delay)


def withdrawal_words(withdrawn_on: date | None, as_of: date, fmt=None) -> str:
    """A withdrawal on the table as of ``as_of``: "withdrawn, effective <date>" once it took
    effect, "withdrawal takes effect <date>" before; "" with none. ``fmt`` writes the date
    (default: ISO)."""
    if withdrawn_on is None:
        return ""
    day = fmt(withdrawn_on) if fmt else withdrawn_on.isoformat()
    if withdrawn_on <= as_of:
        return f"withdrawn, effective {day}"
    return f"withdrawal takes effect {day}"


def long_date(day: date) -> str:
    """3 December 1997 (no leading zero)."""
    return f"{day.day} {day:%B %Y}"
