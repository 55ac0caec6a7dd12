"""Every list also as CSV (?format=csv), streamed row by row without pagination."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from tracker.csv_cells import safe_cell, safe_row


class CSVRenderer(BaseRenderer):
    """Declares text/csv so that ?format=csv is accepted; lists stream it themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Reached only for responses that are not lists (errors): write them as one row.
        rows = data if isinstance(data, list) else [data]
        return "".join(lines(rows)).encode()


class Echo:
    """A file-like object whose write() returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        # Records (a participant's memberships) apart with "; ", plain values with a space.
        separator = "; " if any(isinstance(item, dict) for item in value) else " "
        return separator.join(cell(item) for item in value)
    if isinstance(value, dict):
        return " ".join(f"{key}={cell(item)}" for key, item in value.items())
    return str(value)


def lines(rows: Iterable[dict], header: list[str] | None = None) -> Iterator[str]:
    """CSV lines: the header (given, or the first row's keys), then one line a row.

    Every cell is neutralised against formulas (``tracker.csv_cells.safe_cell``): an alias
    or a note ``=HYPERLINK(…)`` is written ``'=HYPERLINK(…)``; numbers stay numbers.
    """
    writer, rows = csv.writer(Echo()), iter(rows)
    first = next(rows, None)
    header = header if header is not None else list(first or [])
    yield writer.writerow(safe_row(header))
    if first is not None:
        yield writer.writerow([safe_cell(cell(first.get(name))) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell(row.get(name))) for name in header])


def streaming_csv(rows: Iterable[dict], header: list[str], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines(rows, header), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
