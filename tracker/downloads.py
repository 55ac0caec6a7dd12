"""The participants table of a treaty as CSV and JSON, as of a date.

Both downloads read one ``tracker.snapshots.snapshot`` (a fixed number of queries,
whatever the number of participants) and write the same columns, in the same order, from
the same rows, so a spreadsheet and a script see the same table as the dashboard.
"""

import csv
import io
from datetime import date

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404

from tracker.csv_cells import safe_cell, safe_row
from tracker.models import Source, Treaty
from tracker.selectors import status_dict
from tracker.snapshots import ParticipantRow, Snapshot, snapshot
from tracker.timetravel import parse_as_of

COLUMNS = (
    "participant",
    "iso3",
    "un_regional_group",
    "status",
    "signature_type",
    "signature_date",
    "instrument",
    "instrument_date",
    "date_precision",
    "entry_into_force_for_it",
    "entry_into_force_for_it_precision",
    "confidence",
    "cn_reference",
    "sources",
    "note",
    # Added after the columns above, which scripts pin: the participant's standing (its
    # status, or "withdrawn" once its withdrawal took effect and nothing replaced it), and
    # the withdrawal in words and dates ("withdrawal takes effect 2026-02-20").
    "standing",
    "withdrawal",
    "withdrawal_notified_on",
    "withdrawal_effective_on",
)


class BadAsOf(ValueError):
    """The ``as_of`` parameter is not a date, or one outside the dates the tracker shows;
    the message says which, in one sentence."""


def source_reference(source: Source) -> str:
    """A source as one token: its URL, or ``seed:<file>`` for a shipped article without one."""
    return source.url or f"seed:{source.seed_article}"


def participant_record(row: ParticipantRow) -> dict:
    """One participant's row as Python values: dates as dates, None where nothing is known.

    The date precision, C.N. reference and note are the instrument's, or the signature's
    when there is no instrument, as in the import format. An instrument withdrawn (with
    effect by ``as_of`` or later) is the row's instrument, ``withdrawal`` saying so. The date of entry into force is
    derived, and has its own precision: "on_or_before" when a date it comes from is.
    """
    participant, signature, deposit = row.participant, row.signature, row.deposit
    # A withdrawn instrument is still the row's instrument, with its withdrawal beside it.
    withdrawn = row.withdrawal if row.withdrawal is not None and row.withdrawal.binds else None
    deposit = deposit or withdrawn
    # Involved rows have one or the other, or the signature they withdrew.
    main = deposit or signature or row.withdrawal
    return {
        "participant": participant.name,
        "iso3": participant.iso_alpha3 or None,
        "un_regional_group": participant.get_un_regional_group_display() or None,
        "status": row.status.value,
        "signature_type": signature.kind if signature else None,
        "signature_date": signature.date if signature else None,
        "instrument": deposit.kind if deposit else None,
        "instrument_date": deposit.date if deposit else None,
        "date_precision": main.date_precision if main else None,
        "entry_into_force_for_it": row.entry_into_force_on,
        "entry_into_force_for_it_precision": row.entry_into_force_precision,
        "confidence": row.confidence or None,
        "cn_reference": (main.cn_reference if main else "") or None,
        "sources": [source_reference(source) for source in row.sources],
        "note": (main.note if main else "") or None,
        "standing": row.standing,
        "withdrawal": row.withdrawal_text() or None,
        "withdrawal_notified_on": row.withdrawal_notified_on,
        "withdrawal_effective_on": row.withdrawal_effective_on,
    }


def csv_value(value) -> str:
    """A record's value as a CSV cell: ISO dates, space-separated lists, empty for None."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(value)
    return str(value)


def json_value(value):
    """A record's value for JSON: ISO dates, everything else as it is (None is null)."""
    return value.isoformat() if isinstance(value, date) else value


def treaty_snapshot(request, slug: str) -> Snapshot:
    """The snapshot the request asks for; 404 for an unknown treaty, BadAsOf for a bad date."""
    treaty = get_object_or_404(Treaty, slug=slug)
    as_of = parse_as_of(request.GET.get("as_of"), treaty.local_date())
    if as_of.error:
        raise BadAsOf(as_of.problem)
    return snapshot(treaty, as_of.day)


def bad_as_of(error: BadAsOf) -> HttpResponse:
    # A download is read by scripts: unlike the pages, which fall back to today, a
    # malformed date must fail loudly instead of silently returning another day's table.
    return HttpResponseBadRequest(f"{error}\n", content_type="text/plain; charset=utf-8")


def participants_csv(request, slug: str) -> HttpResponse:
    """The participants that had signed or deposited by ``as_of``, as a CSV attachment."""
    try:
        shot = treaty_snapshot(request, slug)
    except BadAsOf as error:
        return bad_as_of(error)
    out = io.StringIO()
    writer = csv.writer(out)  # the csv module's default CRLF rows, as RFC 4180 has them
    writer.writerow(safe_row(COLUMNS))
    for row in shot.involved:
        record = participant_record(row)
        # Every cell neutralised (tracker.csv_cells): a note "=HYPERLINK(…)" is text, not a formula.
        writer.writerow([safe_cell(csv_value(record[column])) for column in COLUMNS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{shot.treaty.slug}-participants-{shot.as_of.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def participants_json(request, slug: str) -> HttpResponse:
    """The same table as JSON, with the treaty's status on ``as_of`` as ``treaty_status --json`` has it."""
    try:
        shot = treaty_snapshot(request, slug)
    except BadAsOf as error:
        return bad_as_of(error)
    participants = [
        {column: json_value(value) for column, value in participant_record(row).items()}
        for row in shot.involved
    ]
    data = {
        "treaty": shot.treaty.slug,
        "as_of": shot.as_of.isoformat(),
        "status": status_dict(shot.treaty, shot.status),
        "participants": participants,
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
