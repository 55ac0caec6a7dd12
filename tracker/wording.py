"""The words of the pages, the feeds and the calendar: rules of entry into force, the
signature on any day, a future day's caveat, and sources and what they reported.

Pure functions of plain values (and of the attributes of the objects they are given):
nothing here reads the database. The pages take their words from here, so that a
sentence reads the same wherever it appears.
"""

from datetime import date
from urllib.parse import urlsplit

from django.utils.html import format_html
from django.utils.safestring import SafeString

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


def short_date(day: date) -> str:
    """26 Oct 2025: the date of a reported figure."""
    return f"{day.day} {day:%b %Y}"


# -- the signature, on any day -------------------------------------------------------------

NOT_ADOPTED, NOT_OPEN, OPEN, LAST_DAY, CLOSED, NO_DEADLINE = (
    "not_adopted", "not_open", "open", "last_day", "closed", "no_deadline"
)  # fmt: skip


def signature_state(adopted_on: date | None, opens_on: date | None, closes_on: date | None, as_of: date) -> str:
    """Where signature stands on ``as_of``. The dates are calendar dates in the treaty's
    time zone, so the deadline is the last day on which it can be signed, whole."""
    if adopted_on and as_of < adopted_on:
        return NOT_ADOPTED
    if opens_on and as_of < opens_on:
        return NOT_OPEN
    if closes_on is None:
        return NO_DEADLINE
    if as_of > closes_on:
        return CLOSED
    return LAST_DAY if as_of == closes_on else OPEN


def place_of(time_zone: str) -> str:
    """The place a time zone is named after: "America/New_York" → "New York"; "UTC" → "UTC"."""
    return time_zone.rsplit("/", 1)[-1].replace("_", " ") if time_zone else ""


def signature_html(treaty, as_of: date) -> SafeString:
    """The headline's "Signature" line for ``treaty`` on ``as_of``, with the figures marked
    up for the pages' scripts and tests (``data-stat``). Before adoption or before the
    opening there is no countdown: the days until the deadline mean nothing yet."""
    opens, closes = treaty.signature_opens_on, treaty.signature_closes_on
    state = signature_state(treaty.adopted_on, opens, closes, as_of)
    place = place_of(treaty.time_zone)
    where = f", {place}" if place else ""

    def on(day: date, stat: str = "") -> SafeString:
        marked = format_html(' data-stat="{}"', stat) if stat else ""
        return format_html('<time datetime="{}"{}>{}</time>', day.isoformat(), marked, long_date(day))

    def named(words: str) -> SafeString:
        return format_html('<span data-stat="signature_state" data-value="{}">{}</span>', state, words)

    if state == NOT_ADOPTED:
        opening = format_html("; it opens for signature on {}", on(opens)) if opens else ""
        return format_html("{}: adopted on {}{}", named("Not yet adopted"), on(treaty.adopted_on), opening)
    if state == NOT_OPEN:
        closing = format_html(" and closes on {}{}", on(closes), where) if closes else ""
        return format_html("{}: it opens on {}{}", named("Not yet open for signature"), on(opens), closing)
    if state == NO_DEADLINE:
        return named("Open for signature, with no deadline")
    deadline = on(closes, "signature_closes_on")
    if state == CLOSED:
        return format_html("{} on {}; accession remains open", named("Closed"), deadline)
    if state == LAST_DAY:
        return format_html("{} (open until the end of {}{})", named("Last day to sign"), deadline, where)
    days = (closes - as_of).days
    return format_html(
        '<span data-stat="days_until_signature_closes">{}</span> day{} left to sign (open until {}{})',
        days, "" if days == 1 else "s", deadline, where,
    )  # fmt: skip


# -- a future day ----------------------------------------------------------------------------


def projection_words(day: date, today: date) -> str:
    """The caveat of a day after today: the records stop at today, so the page shows what
    they imply for ``day`` if nothing more is recorded. "" for today or a past day."""
    if day <= today:
        return ""
    return (
        f"Projected from the records as of {long_date(today)}: the state on {long_date(day)} "
        "if nothing more is signed, deposited or withdrawn before then."
    )


# -- sources and what they reported ------------------------------------------------------


def site_of(url: str) -> str:
    """The site of a URL, as people name it: "https://www.trend.az/a/b" → "trend.az"."""
    return urlsplit(url).netloc.lower().removeprefix("www.") if url else ""


def source_name(source) -> str:
    """Who a source is, for "… reported": its publisher, else its site, else its title.
    Never a file name: an article shipped with the tracker is named by what it says of itself."""
    return source.publisher or site_of(source.url) or source.title or "An untitled source"


def source_label(source) -> str:
    """A source as the lists of sources show it: its title, with its publisher or site;
    without a title, the publisher or site alone. The full title, never cut."""
    name = source.publisher or site_of(source.url)
    if source.title:
        return f"{source.title} ({name})" if name and name not in source.title else source.title
    return name or "An untitled source"


def reported_words(name: str, qualifier: str, value: int, figure: str, day: date) -> str:
    """A figure a source reported, in the one wording the pages use:
    "UN News reported 72 signatories on 26 Oct 2025"; "NDO reported nearly 70 signatories…"."""
    amount = f"{qualifier} {value}" if qualifier and qualifier != "exactly" else str(value)
    return f"{name} reported {amount} {figure} on {short_date(day)}"


def reported_figure_words(figure) -> str:
    """``reported_words`` of a ReportedFigure (its source named by ``source_name``)."""
    name, qualifier = source_name(figure.source), figure.get_qualifier_display()
    return reported_words(name, qualifier, figure.value, figure.figure, figure.reported_on)


def reported_figure_html(figure) -> SafeString:
    """``reported_figure_words`` with the source's name linked to its page (when it has
    one), then the title of what it reported in, when that is not already its name."""
    source = figure.source
    words, name = reported_figure_words(figure), source_name(source)
    rest = words[len(name) :]
    linked = format_html('<a href="{}">{}</a>{}', source.url, name, rest) if source.url else words
    if source.title and source.title != name:
        return format_html("{}, in “{}”", linked, source.title)
    return format_html("{}", linked)
