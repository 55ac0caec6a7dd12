"""Read a UNTC status page into plain records: ``parse_status_page(html) -> StatusPage``.

HTML in, records out; nothing here knows about Django or the database. The page is parsed
with lxml (a real HTML parser); regular expressions are used only on text already taken
out of it (dates, "Signatories : 132", end-note sentences).
"""

from lxml import html

from .dom import Ids, load
from .errors import NotAStatusPage, PageError
from .header import parse_header
from .notes import parse_notes
from .records import StatusPage
from .statements import parse_statements
from .table import parse_table


def parse_status_page(source: str | bytes, url: str = "") -> StatusPage:
    """Read one status page.

    ``source`` is the page's HTML (bytes are read as UTF-8); ``url``, when given, may carry
    the reference (``mtdsg_no=XXVI-5``), which is then preferred to the page's own.
    Raises NotAStatusPage for HTML that is not a status page at all, PageError for a status
    page that lacks what is needed to read it; what is read but not understood goes into
    the result's ``warnings``.
    """
    root = load(source)
    ids = Ids(root)
    _check_is_status_page(root, ids)
    warnings: list[str] = []
    header = parse_header(root, ids, url, warnings)
    columns, participants = parse_table(ids.one("tblgrid"), warnings)
    statements = parse_statements(ids, warnings)
    reading = parse_notes(ids, participants, warnings)
    return StatusPage(
        header=header,
        participants=participants,
        columns=columns,
        statements=statements,
        notes=reading.notes,
        withdrawals=reading.withdrawals,
        earlier_instruments=reading.earlier_instruments,
        warnings=tuple(dict.fromkeys(warnings)),  # the same warning once, in order
    )


def _check_is_status_page(root: html.HtmlElement, ids: Ids) -> None:
    """NotAStatusPage when neither the "STATUS AS AT" line nor the participants table is
    there; PageError when only one of them is (a status page cut short or changed)."""
    has_status = "STATUS AS AT" in ids.text("div3").upper()
    has_table = ids.one("tblgrid") is not None
    if not has_status and not has_table:
        title = " ".join((root.findtext(".//title") or "").split())
        shown = f" (its title is {title!r})" if title else ""
        raise NotAStatusPage(
            f"this is not a UN Treaty Collection status page{shown}: it has no 'STATUS AS AT' line "
            "and no participants table (…_tblgrid)"
        )
    if not has_table:
        raise PageError(
            "no participants table (…_tblgrid) found: the page may have been saved before it finished loading"
        )
