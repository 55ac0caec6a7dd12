"""Declarations, reservations, objections, declarations under an article, notifications
under an article and territorial applications: the sections below the participants table.

Each section is an ASP.NET DataGrid (``…_dgDec``, ``…_dgObj``, ``…_dgDecUnderArticle``,
``…_dgNotifications``) whose rows hold a ``…_divParticipant`` heading and a text div that
starts with the participant's name again in a hidden ``<p class='invisible'>``; the
territorial applications are a plain table (``…_tblDec``: participant, date of receipt,
territories).
"""

import re

from lxml import html

from .dates import CellError, find_dates, parse_cell
from .dom import Ids, cells, name_and_notes, rows, text_of
from .records import Statement

# Grid id -> (ids of the elements whose texts make the section title, title if they are empty)
_SECTIONS = {
    "dgDec": (("divMainDecTilte", "divMainDecTitle"), "Declarations and Reservations"),
    "dgObj": (("divMainObjTitle",), "Objections"),
    "dgDecUnderArticle": (("divMainDecArt", "divDecArt"), "Declarations under an article"),
    "dgNotifications": (("div1",), "Notifications"),
}
_NOT_STATEMENTS = {"dgNotesAll"}  # the end notes, read by notes.py
_TEXT_DIV = re.compile(r"_div(?:Notification)?Text$")


def parse_statements(ids: Ids, warnings: list[str]) -> tuple[Statement, ...]:
    """Every section's statements, one per participant per section, in the page's order."""
    statements: list[Statement] = []
    for grid in ids.all(r"dg[A-Za-z]+"):
        kind = re.search(r"dg[A-Za-z]+$", grid.get("id")).group(0)
        if kind in _NOT_STATEMENTS:
            continue
        statements += _grid(grid, _title(ids, kind, warnings))
    territorial = ids.one("tblDec")
    if territorial is not None:
        statements += _territorial(territorial, ids.text("divAppTitle") or "Territorial Application", warnings)
    return tuple(_merge(statements))


def _title(ids: Ids, kind: str, warnings: list[str]) -> str:
    if kind not in _SECTIONS:
        warnings.append(f"a section of statements the parser does not know (…_{kind}); read with its id as title")
        return kind
    parts, default = _SECTIONS[kind]
    title = " ".join(text for text in (ids.text(part) for part in parts) if text)
    return title or default


def _grid(grid: html.HtmlElement, section: str) -> list[Statement]:
    found = []
    for row in rows(grid):
        divs = {_role(div): div for div in row.xpath(".//div[@id]") if _role(div)}
        if "participant" not in divs:
            continue
        participant, footnotes = name_and_notes(divs["participant"])
        heading = None
        if not participant and divs.get("text") is not None:
            # A row with an empty heading names its participant in bold in front of the
            # text instead (ICCPR, the derogations of the former Yugoslavia).
            heading = divs["text"].find(".//b")
            if heading is not None:
                participant, footnotes = name_and_notes(heading)
        if not participant:
            continue
        text = _statement_text(divs.get("text"), participant, heading)
        found.append(Statement(section, participant, footnotes, text, find_dates(text)))
    return found


def _role(div: html.HtmlElement) -> str:
    element_id = div.get("id")
    if element_id.endswith("_divParticipant"):
        return "participant"
    return "text" if _TEXT_DIV.search(element_id) else ""


def _statement_text(div: html.HtmlElement | None, participant: str, heading=None) -> str:
    """The statement without the participant's name that the page repeats in front of it
    (hidden on screen, but part of the text), or gives as a bold ``heading``."""
    if div is None:
        return ""
    text, _ = text_of(
        div, skip=lambda node: node is heading or "invisible" in (node.get("class") or "").split()
    )
    if participant and text.startswith(participant):  # a page without the hidden <p>
        text = text[len(participant) :].lstrip(" :")
    return text


def _territorial(table: html.HtmlElement, section: str, warnings: list[str]) -> list[Statement]:
    """Rows of participant, date of receipt of the notification, territories: the text is
    the territories, the date that of the notification."""
    found = []
    for row in rows(table)[1:]:
        row_cells = cells(row)
        if len(row_cells) < 3:
            continue
        participant, footnotes = name_and_notes(row_cells[0])
        received = text_of(row_cells[1])[0]
        territories = text_of(row_cells[2])[0]
        dates = find_dates(received)
        if received and not dates:
            try:
                cell = parse_cell(received)
                dates = (cell.on,) if cell else ()
            except CellError:
                warnings.append(f"{participant}, {section}: {received!r} is not a date")
        found.append(Statement(section, participant, footnotes, territories, dates))
    return found


def _merge(statements: list[Statement]) -> list[Statement]:
    """One statement per participant per section, in the page's order: a participant the
    page lists twice in a section has its texts joined."""
    merged: dict[tuple[str, str], Statement] = {}
    for statement in statements:
        key = (statement.section, statement.participant)
        if key in merged:
            earlier = merged[key]
            statement = Statement(
                earlier.section,
                earlier.participant,
                tuple(dict.fromkeys(earlier.footnotes + statement.footnotes)),
                f"{earlier.text} {statement.text}".strip(),
                earlier.dates + statement.dates,
            )
        merged[key] = statement
    return list(merged.values())
