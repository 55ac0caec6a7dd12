"""The participants table: filtering, searching and sorting rows by query parameters."""

from dataclasses import dataclass

from signatories.names import name_key
from tracker.rules import ParticipantStatus
from tracker.snapshots import CONFIDENCE_RANK, WITHDRAWN, ParticipantRow, is_involved

# What the status filter accepts: the rules' statuses, and the withdrawn standing.
STANDINGS = (*(s.value for s in ParticipantStatus), WITHDRAWN)

def _group(row: ParticipantRow):
    label = row.participant.get_un_regional_group_display()
    return (label, name_key(row.participant.name)) if label else None


# Each column's sort key; None where a row has no value, and such rows sort last in either
# direction (``sort_rows``), by name.
SORT_KEYS = {
    "name": lambda row: name_key(row.participant.name),
    "group": _group,
    "signature": lambda row: row.signature.date if row.signature else None,
    "instrument": lambda row: row.deposit.kind if row.deposit else None,
    "deposit": lambda row: row.deposit.date if row.deposit else None,
    "in_force": lambda row: row.entry_into_force_on,
    "confidence": lambda row: CONFIDENCE_RANK.get(row.confidence, 9),
}


def sort_rows(rows: list[ParticipantRow], sort: str, descending: bool) -> list[ParticipantRow]:
    """The rows by the column ``sort``, those without its value last, whichever the direction:
    the latest deposits first are the deposits, not the participants that have none."""
    key = SORT_KEYS[sort]
    keyed = [(key(row), row) for row in rows]
    known = sorted((pair for pair in keyed if pair[0] is not None), key=lambda pair: pair[0], reverse=descending)
    unknown = sorted((row for value, row in keyed if value is None), key=SORT_KEYS["name"])
    return [row for _, row in known] + unknown


@dataclass(frozen=True)
class TableQuery:
    """What the visitor asked of the table: ``?group=&status=&q=&ordering=``, the API's
    words (``ordering=-deposit`` sorts by deposit, latest first). ``sort=deposit&order=desc``,
    the words of earlier links, still read the same."""

    group: str = ""
    status: str = ""
    q: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_params(cls, params) -> "TableQuery":
        ordering = params.get("ordering", "")
        if ordering:
            sort, descending = ordering.removeprefix("-"), ordering.startswith("-")
        else:
            sort, descending = params.get("sort", "name"), params.get("order") == "desc"
        status = params.get("status", "")
        return cls(
            group=params.get("group", ""),
            status=status if status in STANDINGS else "",
            q=params.get("q", "").strip(),
            sort=sort if sort in SORT_KEYS else "name",
            descending=descending and sort in SORT_KEYS,
        )

    @property
    def ordering(self) -> str:
        """The ``ordering`` parameter that asks for this order ("" for the default)."""
        if self.sort == "name" and not self.descending:
            return ""
        return f"-{self.sort}" if self.descending else self.sort


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
    return sort_rows(rows, query.sort, query.descending)


def names_of(row: ParticipantRow) -> list[str]:
    """Every name a visitor may search a participant by: its own, its aliases, its ISO code.
    The aliases as a snapshot read them (``alias_names``), else from the database."""
    participant = row.participant
    aliases = getattr(participant, "alias_names", None)
    if aliases is None:
        aliases = [alias.name for alias in participant.aliases.all()]
    return [participant.name, participant.iso_alpha3 or "", *aliases]
