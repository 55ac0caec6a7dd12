"""The ``?as_of=YYYY-MM-DD`` parameter every page and download takes."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AsOf:
    """The day asked for, or today with a message for people when the parameter was bad."""

    day: date
    today: date
    requested: bool = False
    error: str = ""

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def query(self) -> str:
        """The query string that keeps this day on links (empty for today)."""
        return "" if not self.requested or self.is_today else f"as_of={self.day.isoformat()}"


def parse_as_of(value: str | None, today: date) -> AsOf:
    """Read ``as_of``; a malformed date falls back to ``today`` with a friendly message."""
    if not value:
        return AsOf(today, today)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return AsOf(today, today, error=f"“{value}” is not a date we can read; showing today. Use the form YYYY-MM-DD.")
    return AsOf(day, today, requested=True)
