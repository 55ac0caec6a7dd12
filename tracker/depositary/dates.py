"""Dates as UNTC status pages print them.

Three shapes occur:

- table cells: ``"29 Jul\t 2020 a"``, ``"[ \xa03 Oct\t 1975 ]"`` (abbreviated month, a type
  suffix after the year, brackets once the depositary no longer counts the instrument);
- prose (headers, declarations, end notes): ``"27 December 2025"``, and the odd typo
  (``"1 Decmeber 1999"`` in an objection on the ICCPR-OP1 page);
- the "as at" stamp: ``"03-02-2026 10:16:18 EDT"`` (day first).

Everything here works on text already taken out of the HTML.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# A month word: its first three letters name the month; the rest is letters, so that a
# typo ("Decmeber") still reads while "Mayor" or "Decree" would too — the day and year
# around it make that harmless in practice.
_MONTH_WORD = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
# Digits, not word boundaries, delimit it: pages glue text to dates ("6 August 1999With
# regard to …") where an element boundary separated them on screen.
DATE_PATTERN = rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_WORD})\s+(\d{{4}})(?!\d)"
_DATE_RE = re.compile(DATE_PATTERN, re.IGNORECASE)

# A table cell: optional brackets around "D Mon YYYY" and an optional suffix of letters.
_CELL_RE = re.compile(
    rf"^(?P<open>\[)?\s*(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_WORD})\s+(?P<year>\d{{4}})"
    r"\s*(?P<suffix>[A-Za-z]{1,2})?\s*(?P<close>\])?$",
    re.IGNORECASE,
)
_AS_AT_RE = re.compile(
    r"(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"(?:\s*(?P<zone>[A-Z]{2,5}))?"
)


def normalise(text: str) -> str:
    """Collapse every run of whitespace (tabs, newlines, no-break spaces) to one space."""
    return " ".join(text.replace("\xa0", " ").split())


def make_date(day: str, month_word: str, year: str) -> date | None:
    """The date for a day, a month word and a year; None when they name no real day."""
    month = _MONTHS.get(month_word[:3].lower())
    if month is None:
        return None
    try:
        return date(int(year), month, int(day))
    except ValueError:  # "31 Feb 2000": a typo on the page, not a date
        return None


def find_dates(text: str) -> tuple[date, ...]:
    """Every real date the prose mentions, in order of appearance."""
    found = (make_date(*match.groups()) for match in _DATE_RE.finditer(text))
    return tuple(day for day in found if day is not None)


def first_date(text: str) -> date | None:
    """The first real date the prose mentions, or None."""
    dates = find_dates(text)
    return dates[0] if dates else None


@dataclass(frozen=True)
class CellDate:
    """What one dated table cell says."""

    on: date
    suffix: str  # "" for none, else "a", "AA", "d", "n", …
    bracketed: bool


class CellError(ValueError):
    """A cell that holds text but not a date the table format allows."""


def count_dates(text: str) -> int:
    """How many "D Mon YYYY" groups a cell holds (real dates or not)."""
    return len(_DATE_RE.findall(text))


def parse_cell(text: str) -> CellDate | None:
    """Read a table cell: None when it is empty, CellError when it is not a date.

    A cell holding several dates is read by its first; the caller warns about the rest.
    """
    text = normalise(text)
    if not text:
        return None
    match = _CELL_RE.match(text)
    if match is None and count_dates(text) > 1:
        # Read the first date of a multi-date cell with whatever brackets/suffix follow it.
        first = re.match(rf"^\[?\s*{DATE_PATTERN}\s*[A-Za-z]{{0,2}}\s*\]?", text, re.IGNORECASE)
        match = _CELL_RE.match(first.group(0)) if first else None
    if match is None:
        raise CellError(f"{text!r} is not a date like '29 Jul 2020 a'")
    on = make_date(match["day"], match["month"], match["year"])
    if on is None:
        raise CellError(f"{text!r} is not a real date")
    if bool(match["open"]) != bool(match["close"]):
        raise CellError(f"{text!r} has an unmatched bracket")
    return CellDate(on=on, suffix=match["suffix"] or "", bracketed=bool(match["open"]))


def parse_as_at(text: str) -> tuple[datetime, str] | None:
    """The "STATUS AS AT" stamp (day-month-year) as an aware New York datetime and the
    original text; None when the text holds no stamp.

    The page prints "EDT" all year round; the wall-clock time is kept and the zone's own
    offset for that day is used, rather than trusting the printed abbreviation.
    """
    match = _AS_AT_RE.search(text)
    if match is None:
        return None
    try:
        stamp = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]),
            int(match["H"]), int(match["M"]), int(match["S"] or 0),
            tzinfo=NEW_YORK,
        )  # fmt: skip
    except ValueError:
        return None
    return stamp, normalise(match.group(0))
