"""Reading status tables (CSV) into plain rows, with no database access.

``parse_table`` detects the format from the header and returns one ``ImportRow`` per
row, or a problem ("row N: reason") for each row it cannot read. A participant may have
several rows (an instrument withdrawn, then another): the import reads them together.
The CSV export writes format 1, which this module reads back, taking off the quote the
export puts before a cell that could be a formula (``'=1+1`` reads ``=1+1``).
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from tracker.csv_cells import unescape_cell
from tracker.rules import DEPOSIT_KINDS, ActionKind

FORMAT_1_REQUIRED = ["participant", "signature_date", "action", "action_date"]
# The two precision columns say whether signature_date and action_date are exact or only
# the latest day it can have been ("on_or_before"); the export writes them so that a
# derived date read back keeps its precision. withdrawn_on is the day the row's deposit,
# or its signature when there is no deposit, was withdrawn: the export writes it so that
# a withdrawn instrument still counts, as it did, for the days before its withdrawal.
FORMAT_1_OPTIONAL = [
    "cn_reference", "source_url", "confidence", "note", "signature_date_precision", "action_date_precision",
    "withdrawn_on",
]  # fmt: skip
FORMAT_1_COLUMNS = FORMAT_1_REQUIRED + FORMAT_1_OPTIONAL
CONFIDENCES = ("depositary", "official", "press")
PRECISIONS = ("exact", "on_or_before")  # tracker.models.DatePrecision's values
# Values of the `action` column: the instruments, and a definitive signature.
ACTION_VALUES = {kind.value: kind for kind in DEPOSIT_KINDS} | {
    ActionKind.DEFINITIVE_SIGNATURE.value: ActionKind.DEFINITIVE_SIGNATURE
}
# Suffixes of the depositary's dates: "3 Mar 2026 a" is an accession.
UNTC_SUFFIXES = {
    "": ActionKind.RATIFICATION,
    "a": ActionKind.ACCESSION,
    "A": ActionKind.ACCEPTANCE,
    "AA": ActionKind.APPROVAL,
    "d": ActionKind.SUCCESSION,
    "s": ActionKind.DEFINITIVE_SIGNATURE,
}
UNTC_CELL = re.compile(r"^(?P<day>\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4})(?:\s+(?P<suffix>AA|A|a|d|s))?$")


@dataclass(slots=True)  # slots: a 50,000-row file keeps 50,000 of them
class ImportRow:
    """One participant's row, in either format. An empty precision, or no ``withdrawn_on``,
    is no information: it changes nothing recorded.

    ``withdrawn_on`` belongs to the row's deposit, or to its signature when there is none,
    like the C.N. reference, source, confidence and note.
    """

    line: int
    participant: str
    signature_date: date | None = None
    signature_kind: ActionKind = ActionKind.SIGNATURE
    deposit_kind: ActionKind | None = None
    deposit_date: date | None = None
    cn_reference: str = ""
    source_url: str = ""
    confidence: str = ""
    note: str = ""
    signature_precision: str = ""
    deposit_precision: str = ""
    withdrawn_on: date | None = None
    withdrawal_notified_on: date | None = None  # the depositary import's: not a column of either format
    withdrawal_kind: str = ""


class RowError(ValueError):
    """What is wrong with one cell of a row."""


def parse_table(text: str, default_source: str = "") -> tuple[list[ImportRow], list[str]]:
    """Read a status table; return its rows and the problems, each "row N: reason".

    ``default_source`` is the source of a depositary table's rows (its status page).
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        return [], ["row 1: the file is empty"]
    columns = [cell.strip() for cell in header]
    if [c.lower() for c in columns[:1]] == ["participant"] and len(columns) > 1 and columns[1].lower() == "signature_date":
        read_row, problems = read_format_1, check_format_1_header(columns)
    elif is_untc_header(columns):
        read_row, problems = read_untc_row, []
    else:
        return [], [
            f"row 1: unrecognised header; expected {','.join(FORMAT_1_REQUIRED)}"
            f"[,{','.join(FORMAT_1_OPTIONAL)}] or the depositary's Participant,Signature,Ratification… columns"
        ]
    if problems:
        return [], problems
    rows = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        try:
            # The export neutralises formulas ('=1+1, tracker.csv_cells): read the cell back as written.
            rows.append(read_row(line, columns, [unescape_cell(cell).strip() for cell in cells], default_source))
        except RowError as error:
            problems.append(f"row {line}: {error}")
    return rows, problems


def check_format_1_header(columns: list[str]) -> list[str]:
    lowered = [c.lower() for c in columns]
    missing = [c for c in FORMAT_1_REQUIRED if c not in lowered]
    unknown = [c for c in columns if c.lower() not in FORMAT_1_COLUMNS]
    problems = [f"row 1: missing column {c!r}" for c in missing]
    problems += [f"row 1: unknown column {c!r} (known: {', '.join(FORMAT_1_COLUMNS)})" for c in unknown]
    return problems


def is_untc_header(columns: list[str]) -> bool:
    lowered = [c.lower() for c in columns]
    return len(lowered) >= 3 and lowered[0] == "participant" and lowered[1].startswith("signature") and (
        lowered[2].startswith("ratification") or "accession" in lowered[2]
    )


def read_format_1(line: int, columns: list[str], cells: list[str], default_source: str) -> ImportRow:
    values = dict(zip([c.lower() for c in columns], cells + [""] * (len(columns) - len(cells)), strict=False))
    if len(cells) > len(columns):
        raise RowError(f"{len(cells)} cells for {len(columns)} columns")
    row = ImportRow(line=line, participant=required(values, "participant"))
    row.signature_date = iso_date(values["signature_date"], "signature_date")
    row.signature_precision = precision(values, "signature_date_precision", row.signature_date)
    action, action_date = values["action"], iso_date(values["action_date"], "action_date")
    if bool(action) != bool(action_date):
        raise RowError("action and action_date go together: give both or neither")
    action_precision = precision(values, "action_date_precision", action_date)
    if action:
        kind = ACTION_VALUES.get(action.lower())
        if kind is None:
            raise RowError(f"action {action!r} is not one of {', '.join(ACTION_VALUES)}")
        set_action(row, kind, action_date, action_precision)
    row.withdrawn_on = iso_date(values.get("withdrawn_on", ""), "withdrawn_on")
    if row.withdrawn_on and not (row.signature_date or row.deposit_date):
        raise RowError("withdrawn_on is given without a signature or an action to withdraw")
    row.cn_reference, row.note = values.get("cn_reference", ""), values.get("note", "")
    row.source_url = url(values.get("source_url", ""))
    row.confidence = values.get("confidence", "").lower()
    if row.confidence and row.confidence not in CONFIDENCES:
        raise RowError(f"confidence {row.confidence!r} is not one of {', '.join(CONFIDENCES)}")
    return row


def read_untc_row(line: int, columns: list[str], cells: list[str], default_source: str) -> ImportRow:
    cells = cells + [""] * (3 - len(cells))
    row = ImportRow(line=line, participant=cells[0], source_url=default_source, confidence="depositary")
    if not row.participant:
        raise RowError("the participant's name is empty")
    if cells[1]:
        signed_on, suffix = untc_date(cells[1], columns[1])
        if suffix:
            raise RowError(f"{columns[1]} {cells[1]!r}: a signature date takes no suffix")
        row.signature_date = signed_on
    if cells[2]:
        deposited_on, suffix = untc_date(cells[2], "the instrument column")
        set_action(row, UNTC_SUFFIXES[suffix], deposited_on)
    return row


def set_action(row: ImportRow, kind: ActionKind, day: date, day_precision: str = "") -> None:
    """Put the action column's value in the row: a deposit, or a definitive signature."""
    if kind is ActionKind.DEFINITIVE_SIGNATURE:
        if row.signature_date:
            raise RowError("a definitive signature cannot come with a separate signature date")
        row.signature_kind, row.signature_date, row.signature_precision = kind, day, day_precision
    else:
        row.deposit_kind, row.deposit_date, row.deposit_precision = kind, day, day_precision


def precision(values: dict[str, str], column: str, day: date | None) -> str:
    """A precision column's value: exact, on_or_before, or empty (no information)."""
    value = values.get(column, "").lower()
    if value and value not in PRECISIONS:
        raise RowError(f"{column} {value!r} is not one of {', '.join(PRECISIONS)}")
    if value and day is None:
        raise RowError(f"{column} {value!r} is given without the date it qualifies")
    return value


def required(values: dict[str, str], name: str) -> str:
    if not values.get(name):
        raise RowError(f"{name} is empty")
    return values[name]


def iso_date(value: str, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column} {value!r} is not a date of the form YYYY-MM-DD") from None


def untc_date(value: str, column: str) -> tuple[date, str]:
    """Read "25 Oct 2025" or "3 Mar 2026 a" into a date and its suffix."""
    match = UNTC_CELL.match(" ".join(value.split()))
    if match:
        day = match["day"].replace(".", "")
        for pattern in ("%d %b %Y", "%d %B %Y"):
            try:
                return datetime.strptime(day, pattern).date(), match["suffix"] or ""
            except ValueError:
                continue
    raise RowError(f"{column} {value!r} is not a date like '25 Oct 2025', with an optional suffix a, A, AA, d or s")


def url(value: str) -> str:
    if value and not is_url(value):
        raise RowError(f"source_url {value!r} is not a URL")
    return value


@lru_cache(maxsize=256)
def is_url(value: str) -> bool:
    """Whether ``value`` is a URL; remembered, since a file cites the same few sources on
    every row and the validator's pattern is long (a fifth of the parsing time)."""
    try:
        URL_VALIDATOR(value)
    except ValidationError:
        return False
    return True


URL_VALIDATOR = URLValidator()
