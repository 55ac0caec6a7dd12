"""The participants table: filtering, searching and sorting rows by query parameters."""

from dataclasses import dataclass
from datetime import date

from signatories.names import name_key
from tracker.rules import ParticipantStatus
from tracker.snapshots import CONFIDENCE_RANK, WITHDRAWN, ParticipantRow, is_involved

# What the status filter accepts: the rules' statuses, and the withdrawn standing.
STANDINGS = (*(s.value for s in ParticipantStatus), WITHDRAWN)

FAR_FUTURE = date.max


def _date(value: date | None) -> date:
    return value or FAR_FUTURE  # rows without the date sort last


SORT_KEYS = {
    "name": lambda row: name_key(row.participant.name),
    "group": lambda row: (row.participant.get_un_regional_group_display() or "~", name_key(row.participant.name)),
    "signature": lambda row: _date(row.signature.date if row.signature else None),
    "instrument": lambda row: (row.deposit.kind if row.deposit else "~"),
    "deposit": lambda row: _date(row.deposit.date if row.deposit else None),
    "in_force": lambda row: _date(row.entry_into_force_on),
    "confidence": lambda row: CONFIDENCE_RANK.get(row.confidence, 9),
}


@dataclass(frozen=True)
class TableQuery:
    """What the visitor asked of the table: ``?group=&status=&q=&sort=&order=``."""

    group: str = ""
    status: str = ""
    q: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_params(cls, params) -> "TableQuery":
        sort = params.get("sort", "name")
        status = params.get("status", "")
        return cls(
            group=params.get("group", ""),
            status=status if status in STANDINGS else "",
            q=params.get("q", "").strip(),
            sort=sort if sort in SORT_KEYS else "name",
            descending=params.get("order") == "desc",
        )


def apply(rows: list[ParticipantRow], query: TableQuery) -> list[ParticipantRow]:
    """The rows the query selects, in the order it asks for."""
    if query.status != ParticipantStatus.NOT_SIGNED:
        rows = [row for row in rows if is_involved(row)]
    if query.status:
        rows = [row for row in rows if row.standing == query.status]
    if query.group:
        rows = [row for row in rows if row.participant.un_regional_group == query.group]
    if query.q:
        needle = name_key(query.q)
        rows = [row for row in rows if any(needle in name_key(name) for name in names_of(row))]
    return sorted(rows, key=SORT_KEYS[query.sort], reverse=query.descending)


def names_of(row: ParticipantRow) -> list[str]:
    """Every name a visitor may search a participant by: its own, its aliases, its ISO code."""
    participant = row.participant
    return [participant.name, participant.iso_alpha3 or "", *(alias.name for alias in participant.aliases.all())]
