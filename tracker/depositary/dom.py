"""Finding things in a UNTC page by element id, and reading their text.

The page is an ASP.NET form: every element of interest has an id like
``ctl00_ctl00_ContentPlaceHolder1_ContentPlaceHolderInnerPage_tblgrid``. The prefix is the
page's nesting of controls, which any change of the site's layout changes, so ids are
matched by their end.
"""

import re

from lxml import etree, html

from .dates import normalise
from .errors import NotAStatusPage

# Footnote numbers as the page writes them after a name: "4", "4, 5".
_TRAILING_NOTES_RE = re.compile(r"^(?P<name>.*?\S)\s*(?P<notes>\d{1,3}(?:\s*,\s*\d{1,3})*)$")
_BLOCKS = ("br", "p", "div", "li", "tr", "td", "table")
_FOOTNOTE_TAGS = ("sup", "superscript")
_UNREAD_TAGS = ("script", "style")
_PARSER = html.HTMLParser(encoding="utf-8")


def load(source: str | bytes) -> html.HtmlElement:
    """Parse the page. Bytes are read as UTF-8 (what UNTC serves), a byte that is not UTF-8
    becoming U+FFFD; a str is taken as is."""
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    if not source.strip():
        raise NotAStatusPage("the page is empty")
    try:
        # Parsed as UTF-8 bytes, whatever <meta charset> or <?xml encoding?> the copy says:
        # lxml refuses a str that declares an encoding.
        root = html.document_fromstring(source.encode("utf-8"), parser=_PARSER)
    except (etree.ParserError, ValueError) as error:
        raise NotAStatusPage(f"the page could not be read as HTML ({error})") from error
    _separate_blocks(root)
    return root


def _separate_blocks(root: html.HtmlElement) -> None:
    """Put a line break after every block element and <br>, so that the text of
    "<i>Declaration:<br></i>The Government…" does not read "Declaration:The Government"."""
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")


class Ids:
    """The page's elements that have an id, looked up by how the id ends."""

    def __init__(self, root: html.HtmlElement):
        self._by_id = {element.get("id"): element for element in root.iter() if element.get("id")}

    def one(self, pattern: str) -> html.HtmlElement | None:
        """The first element whose id ends with ``pattern`` (a regex, anchored at the end
        and at an underscore or the id's start)."""
        found = self.all(pattern)
        return found[0] if found else None

    def all(self, pattern: str) -> list[html.HtmlElement]:
        """Every element whose id ends with ``pattern``, in the page's order."""
        regex = re.compile(rf"(?:^|_)(?:{pattern})$")
        return [element for key, element in self._by_id.items() if regex.search(key)]

    def text(self, pattern: str) -> str:
        """The normalised text of the element (footnote marks removed); "" when absent."""
        element = self.one(pattern)
        return text_of(element)[0] if element is not None else ""


def text_of(element: html.HtmlElement, skip=None) -> tuple[str, tuple[str, ...]]:
    """The element's text without its footnote marks, and those marks.

    Footnotes are <SUP><A …>8</A></SUP> after a name (in the table, section headings and
    the header) or <superscript>11</superscript> inside a statement's hidden name. ``skip``
    may name further elements to leave out (e.g. that hidden name). The tree is walked
    rather than copied and edited: the largest page has some 10,000 such reads.
    """
    parts: list[str] = []
    notes: list[str] = []

    def visit(node: html.HtmlElement) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _FOOTNOTE_TAGS:
            notes.extend(re.findall(r"\d+", node.text_content()))
            return
        if not tag or tag in _UNREAD_TAGS or (skip is not None and skip(node)):
            return  # a comment, a script, or what the caller leaves out; its tail still counts
        parts.append(node.text or "")
        for child in node:
            visit(child)
            parts.append(child.tail or "")

    visit(element)
    return normalise("".join(parts)), tuple(notes)


def name_and_notes(element: html.HtmlElement) -> tuple[str, tuple[str, ...]]:
    """A participant's name and its footnote numbers.

    Marks in <SUP> are the rule; a name that still ends in numbers ("Poland 8", as some
    copies of the page give it in plain text) loses them too. A name is never split inside
    parentheses: "Bolivia (Plurinational State of)" ends with ")" and is left whole.
    """
    name, notes = text_of(element)
    return split_trailing_notes(name, notes)


def split_trailing_notes(name: str, notes: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """Take footnote numbers written as plain text off the end of a name ("Participant 4, 5")."""
    match = _TRAILING_NOTES_RE.match(name)
    if match and not match["name"].endswith(","):
        name = match["name"]
        notes = notes + tuple(re.findall(r"\d+", match["notes"]))
    return name, notes


def rows(table: html.HtmlElement) -> list[html.HtmlElement]:
    """The table's own rows (not those of tables nested in it)."""
    return table.xpath("./tr | ./thead/tr | ./tbody/tr")


def cells(row: html.HtmlElement) -> list[html.HtmlElement]:
    """The row's cells, in order."""
    return row.xpath("./td | ./th")
