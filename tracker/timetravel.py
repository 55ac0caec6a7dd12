"""The ``?as_of=YYYY-MM-DD`` parameter every page and download takes.

A date is read only between ``EARLIEST`` and ``LATEST``: every treaty the tracker can
follow falls well inside, and a date near the ends of Python's calendar (0001-01-01,
9999-12-31) would only overflow the arithmetic of charts and countdowns. Pages fall back
to today with a message; downloads answer 400 with the same reason.
"""

from dataclasses import dataclass
from datetime import date

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
# What a message repeats of a bad value: enough to recognise it, never a whole long string.
SHOWN = 40


@dataclass(frozen=True)
class AsOf:
    """The day asked for, or today with a message for people when the parameter was bad."""

    day: date
    today: date
    requested: bool = False
    error: str = ""
    # Why the parameter was refused, as one sentence for a download's 400 (empty if it was not).
    problem: str = ""

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def query(self) -> str:
        """The query string that keeps this day on links (empty for today)."""
        return "" if not self.requested or self.is_today else f"as_of={self.day.isoformat()}"


def shown(value: str) -> str:
    """``value`` as a message quotes it: at most ``SHOWN`` characters."""
    return value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"


def parse_as_of(value: str | None, today: date) -> AsOf:
    """Read ``as_of``; a malformed date, or one outside EARLIEST…LATEST, falls back to
    ``today`` with a friendly message (``error``) and the reason (``problem``)."""
    if not value:
        return AsOf(today, today)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return AsOf(
            today,
            today,
            error=f"“{shown(value)}” is not a date we can read; showing today. Use the form YYYY-MM-DD.",
            problem=f"as_of must be a date written YYYY-MM-DD, not “{shown(value)}”.",
        )
    if not EARLIEST <= day <= LATEST:
        span = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
        return AsOf(
            today,
            today,
            error=f"{day.isoformat()} is outside the dates we can show; showing today. Pick a day {span}.",
            problem=f"as_of must be a date {span} (YYYY-MM-DD), not “{shown(value)}”.",
        )
    return AsOf(day, today, requested=True)
