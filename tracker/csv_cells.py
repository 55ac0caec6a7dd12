"""Every CSV cell the tracker writes goes through ``safe_cell``: no formula injection.

A spreadsheet opening a CSV file runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(…)``, ``+SUM(…)``, ``@SUM(…)``, ``-2+3+cmd|…``), and a leading
tab or carriage return hides such a cell from a naive check. So, as OWASP advises, a text
cell starting with one of ``= + - @ TAB CR`` is written with a single quote before it
(``'=1+1``), which spreadsheets show as text and do not evaluate.

What is not touched:

- numbers: a cell that is a plain number (``-5``, ``+3``, ``-0.25``, ``1e-3``), written
  from a number or from text, stays a number, since no spreadsheet runs it;
- dates, written ISO (``2026-02-01``), which start with a digit;
- empty cells (None).

A text cell that already starts with quotes followed by one of those characters
(``'=x``) gets one more quote, so that ``unescape_cell`` gives back exactly what was
written: the status-table import (``tracker.status_tables``) applies it to every cell, so
that ``export_status`` output, a note ``=1+1`` in it, imports back as ``=1+1``.
"""

import re
from datetime import date, datetime
from decimal import Decimal

# The characters that make a spreadsheet read a cell as a formula (or hide one).
FORMULA_STARTS = "=+-@\t\r"
# Quotes, then one of those: the cells that get (or, read back, lose) one quote.
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
# A plain number in text, as a spreadsheet reads it: harmless, left as it is.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet evaluates: quoted if it could be a formula."""
    if _NEEDS_QUOTE.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_cell(value) -> str:
    """A value as a CSV cell: empty for None, ISO for dates, numbers as they are, text
    neutralised (``neutralise``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number, negative ones included, stays a number
    if isinstance(value, date | datetime):
        return value.isoformat()
    return neutralise(str(value))


def safe_row(values) -> list[str]:
    return [safe_cell(value) for value in values]


def unescape_cell(text: str) -> str:
    """The cell ``neutralise`` wrote, read back: one leading quote fewer before a formula
    character (``'=1+1`` is ``=1+1``), anything else as it is."""
    return text[1:] if _QUOTED.match(text) else text
