"""Export of a treaty's status table as of a date, in import format 1 (CSV) or JSON.

Importing the export into an empty treaty gives the same status on that date, the
precision of its derived dates included: the export writes each date's precision, and
each withdrawal, since an instrument withdrawn after the threshold was reached still
counted toward it.
"""

import csv
import json
from datetime import date
from itertools import groupby

from signatories.models import Action
from tracker.csv_cells import safe_cell
from tracker.models import Treaty
from tracker.rules import ActionKind
from tracker.selectors import status_dict, treaty_status
from tracker.status_tables import FORMAT_1_COLUMNS


def export_rows(treaty: Treaty, as_of: date) -> list[dict[str, str]]:
    """The rows of every participant that signed or deposited by ``as_of``, by name.

    Withdrawn signatures and instruments are written too, with their ``withdrawn_on``: a
    participant that withdrew an instrument and deposited another has a row for each (see
    ``participant_rows``).
    """
    actions = (
        Action.objects.filter(treaty=treaty, date__lte=as_of)
        .select_related("participant")
        .prefetch_related("sources")
        .order_by("participant__name", "participant_id", "date", "pk")
    )
    rows = []
    for _, its_actions in groupby(actions, key=lambda action: action.participant_id):
        rows += participant_rows(list(its_actions), as_of)
    return rows


def participant_rows(actions: list[Action], as_of: date) -> list[dict[str, str]]:
    """One participant's rows: one per instrument (or definitive signature), by date.

    The signature shares the first of them, as the import reads it; it has a row of its own
    when there is none, or when it was withdrawn, since a row's withdrawal is its
    instrument's. The C.N. reference, source, confidence, note and withdrawal of a row are
    its instrument's, or its signature's when it has no instrument.
    """
    signature = next((a for a in actions if a.kind == ActionKind.SIGNATURE), None)
    binding = [a for a in actions if a.kind != ActionKind.SIGNATURE]
    several = sum(a.is_deposit for a in binding) > 1
    rows = [action_row(a, withdrawal(a, as_of, besides_another=several and a.is_deposit)) for a in binding]
    if signature is None:
        return rows
    withdrawn_on = withdrawal(signature, as_of)
    if rows and not withdrawn_on:
        put_signature(rows[0], signature)
    else:
        row = new_row(signature)
        put_signature(row, signature)
        put_details(row, signature, withdrawn_on)
        rows.insert(0, row)
    return rows


def withdrawal(action: Action, as_of: date, besides_another: bool = False) -> str:
    """The ``withdrawn_on`` cell of ``action``: its withdrawal if it came by ``as_of``.

    A later one is left out, like the actions that came later, as it changes nothing on
    ``as_of``; except for a participant's deposits when it has several (``besides_another``):
    the import keeps one in effect at a time, so it must be told which ones were withdrawn.
    """
    if action.withdrawn_on is None or (action.withdrawn_on > as_of and not besides_another):
        return ""
    return action.withdrawn_on.isoformat()


def new_row(action: Action) -> dict[str, str]:
    return dict.fromkeys(FORMAT_1_COLUMNS, "") | {"participant": action.participant.name}


def action_row(action: Action, withdrawn_on: str) -> dict[str, str]:
    """The row of an instrument or a definitive signature (both go in the ``action`` columns)."""
    row = new_row(action)
    row.update(action=action.kind, action_date=action.date.isoformat())
    row["action_date_precision"] = action.date_precision
    put_details(row, action, withdrawn_on)
    return row


def put_signature(row: dict[str, str], signature: Action) -> None:
    row.update(signature_date=signature.date.isoformat(), signature_date_precision=signature.date_precision)


def put_details(row: dict[str, str], action: Action, withdrawn_on: str) -> None:
    """The row's C.N. reference, source, confidence, note and withdrawal, from ``action``."""
    urls = sorted(source.url for source in action.sources.all() if source.url)
    row.update(
        cn_reference=action.cn_reference,
        source_url=urls[0] if urls else "",
        confidence=action.confidence,
        note=action.note,
        withdrawn_on=withdrawn_on,
    )


def export_csv(treaty: Treaty, as_of: date) -> str:
    """The table as CSV, every cell neutralised against formulas (``tracker.csv_cells``):
    a note ``=1+1`` is written ``'=1+1``, which the import reads back as ``=1+1``.

    Rows end with "\n". They are written with "\r\n" and that ending replaced: the csv
    module quotes a cell only for the characters of its line ending, so a carriage return in
    a note would otherwise be written bare, and the file would no longer read back.
    """
    writer = csv.writer(_Line(), lineterminator="\r\n")
    lines = [writer.writerow(FORMAT_1_COLUMNS)]
    lines += [writer.writerow([safe_cell(row[column]) for column in FORMAT_1_COLUMNS]) for row in export_rows(treaty, as_of)]
    return "".join(line.removesuffix("\r\n") + "\n" for line in lines)


class _Line:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def export_json(treaty: Treaty, as_of: date) -> str:
    data = {
        "treaty": treaty.slug,
        "as_of": as_of.isoformat(),
        "status": status_dict(treaty, treaty_status(treaty, as_of)),
        "participants": export_rows(treaty, as_of),
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
