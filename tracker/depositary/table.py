"""The participants table (``…_tblgrid``): one row per participant, first row the headers.

Columns: the participant; usually the signature; sometimes others (provisional application,
…); and the instrument column, whose header lists the suffixes it uses, e.g.
"Ratification, Acceptance(A), Approval(AA), Accession(a), Succession(d)".
"""

import re
from dataclasses import dataclass

from lxml import html

from .dates import CellDate, CellError, count_dates, parse_cell
from .dom import cells, name_and_notes, rows, split_trailing_notes, text_of
from .errors import PageError
from .records import ExtraCell, Instrument, InstrumentKind, ParticipantRow

# The suffix after an instrument's date and what it means. Case matters: "a" is an
# accession, "A" an acceptance.
SUFFIXES = {
    "": InstrumentKind.RATIFICATION,
    "a": InstrumentKind.ACCESSION,
    "A": InstrumentKind.ACCEPTANCE,
    "AA": InstrumentKind.APPROVAL,
    "d": InstrumentKind.SUCCESSION,
    "s": InstrumentKind.DEFINITIVE_SIGNATURE,
    "c": InstrumentKind.FORMAL_CONFIRMATION,
    "P": InstrumentKind.CONSENT_TO_BE_BOUND,
}
# Words that mark the instrument column's header (the signature column says "Signature").
_INSTRUMENT_WORDS = re.compile(
    r"ratification|accession|acceptance|approval|succession|consent to be bound|formal confirmation",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Layout:
    """Which column is which."""

    headers: tuple[str, ...]
    signature: int | None
    instrument: int
    suffixes: frozenset[str]  # the suffixes the instrument column's header declares


def parse_table(table: html.HtmlElement, warnings: list[str]) -> tuple[tuple[str, ...], tuple[ParticipantRow, ...]]:
    """The table's headers and its rows."""
    all_rows = rows(table)
    if not all_rows:
        raise PageError("the participants table (…_tblgrid) has no rows, not even its headers")
    layout = _layout(all_rows[0])
    participants = []
    for row in all_rows[1:]:
        participant = _row(row, len(participants) + 1, layout, warnings)
        if participant is not None:
            participants.append(participant)
    return layout.headers, tuple(participants)


def _layout(header_row: html.HtmlElement) -> Layout:
    # Headers lose their footnote marks: "Participant 4, 5" -> "Participant".
    headers = tuple(split_trailing_notes(text_of(cell)[0])[0] for cell in cells(header_row))
    if len(headers) < 2:
        raise PageError(f"the participants table (…_tblgrid) has too few columns: {list(headers)}")
    signature = next((i for i, h in enumerate(headers) if i and h.lower().startswith("signature")), None)
    candidates = [i for i, h in enumerate(headers) if i and i != signature and _INSTRUMENT_WORDS.search(h)]
    if not candidates:
        raise PageError(
            f"the participants table (…_tblgrid) has no ratification/accession column; its headers are {list(headers)}"
        )
    instrument = candidates[-1]
    declared = frozenset(re.findall(r"\(([A-Za-z]{1,2})\)", headers[instrument]))
    return Layout(headers=headers, signature=signature, instrument=instrument, suffixes=declared)


def _row(row: html.HtmlElement, number: int, layout: Layout, warnings: list[str]) -> ParticipantRow | None:
    row_cells = cells(row)
    if not row_cells:
        return None
    name, footnotes = name_and_notes(row_cells[0])
    if not name:
        if any(text_of(cell)[0] for cell in row_cells):
            warnings.append(f"table row {number}: no participant name; row skipped")
        return None
    if len(row_cells) != len(layout.headers):
        warnings.append(f"{name}: the row has {len(row_cells)} cells for {len(layout.headers)} columns")
    texts = [text_of(cell)[0] for cell in row_cells]
    texts += [""] * (len(layout.headers) - len(texts))
    signature = _signature(name, texts, layout, warnings)
    instrument = _instrument(name, texts[layout.instrument], layout, warnings)
    if signature.definitive is not None:
        if instrument is not None:
            warnings.append(f"{name}: a definitive signature (s) and an instrument in the same row; the instrument kept")
        else:
            instrument = signature.definitive
    return ParticipantRow(
        row=number,
        name=name,
        footnotes=footnotes,
        signature_on=signature.on,
        signature_kind=signature.kind,
        signature_bracketed=signature.bracketed,
        instrument=instrument,
        extra=_extra(name, texts, layout, warnings),
    )


@dataclass(frozen=True)
class _Signature:
    on: object = None
    kind: str = "signature"
    bracketed: bool = False
    definitive: Instrument | None = None  # set for a definitive signature ("s")


def _signature(name: str, texts: list[str], layout: Layout, warnings: list[str]) -> _Signature:
    if layout.signature is None:
        return _Signature()
    cell = _read(name, layout.headers[layout.signature], texts[layout.signature], warnings)
    if cell is None:
        return _Signature()
    if cell.suffix == "d":
        return _Signature(cell.on, "succession", cell.bracketed)
    if cell.suffix == "s":
        definitive = Instrument(on=cell.on, kind=InstrumentKind.DEFINITIVE_SIGNATURE, bracketed=cell.bracketed)
        return _Signature(cell.on, "signature", cell.bracketed, definitive)
    if cell.suffix:
        warnings.append(f"{name}: unknown mark {cell.suffix!r} after the signature date; read as a signature")
    return _Signature(cell.on, "signature", cell.bracketed)


def _instrument(name: str, text: str, layout: Layout, warnings: list[str]) -> Instrument | None:
    cell = _read(name, layout.headers[layout.instrument], text, warnings)
    if cell is None:
        return None
    kind = SUFFIXES.get(cell.suffix)
    if kind is None:
        warnings.append(f"{name}: unknown instrument type {cell.suffix!r} in {text!r}; instrument not read")
        return None
    if cell.suffix and cell.suffix not in layout.suffixes:
        warnings.append(f"{name}: the type {cell.suffix!r} in {text!r} is not among those the column header lists")
    return Instrument(on=cell.on, kind=kind, bracketed=cell.bracketed)


def _extra(name: str, texts: list[str], layout: Layout, warnings: list[str]) -> tuple[ExtraCell, ...]:
    """The cells of the other columns (provisional application, …) that hold anything."""
    extra = []
    for index, header in enumerate(layout.headers):
        if index in (0, layout.signature, layout.instrument) or not texts[index]:
            continue
        try:
            cell = parse_cell(texts[index])
        except CellError:
            cell = None  # an extra column may hold words, not a date: kept as text
        _warn_if_several(name, header, texts[index], warnings)
        extra.append(
            ExtraCell(
                column=header,
                text=texts[index],
                on=cell.on if cell else None,
                marker=cell.suffix if cell else "",
            )
        )
    return tuple(extra)


def _read(name: str, header: str, text: str, warnings: list[str]) -> CellDate | None:
    """A signature or instrument cell; a warning (and None) when it is not a date."""
    try:
        cell = parse_cell(text)
    except CellError as error:
        warnings.append(f"{name}, column '{header}': {error}; left empty")
        return None
    _warn_if_several(name, header, text, warnings)
    return cell


def _warn_if_several(name: str, header: str, text: str, warnings: list[str]) -> None:
    if count_dates(text) > 1:
        warnings.append(f"{name}, column '{header}': the cell holds several dates ({text!r}); the first is read")
