"""Cut a small test fixture out of a saved UNTC status page.

Keeps the page's structure (the same element ids and nesting for the header, the
participants table, the statements and the end notes) and drops the rest: scripts, menus,
footer, and every table row, statement and end note not asked for. Long statements and
notes are shortened unless asked for in full.

    python tests/tracker/depositary/cut.py SOURCE.html DEST.html \\
        --rows "Estonia,Poland" --statements "Poland" --notes 1,8 [--full-notes 1] [--max-text 300] [--max-note 300]

Not used by the tests; kept so that a fixture can be cut again the same way.
"""

import argparse
import re
import sys

from lxml import html

_CHROME = ("navbar", "TopMenu", "LeftMenu", "Footer", "dialog", "UpdtProgress", "navcontainer", "updating", "ucicons")


# How each fixture in pages/ was cut: `cut.py --all /work/shared/untc` cuts them all again.
RECIPES = {
    "ottawa.html": [
        "--rows", "Afghanistan,Albania,Argentina,Austria,Estonia,Finland,Latvia,Lithuania,Mauritius,Montenegro,"
        "Poland,Serbia,South Africa,Sweden,Switzerland,Ukraine",
        "--statements", "Argentina,Poland,Serbia,Austria,Mauritius,South Africa,Sweden,Switzerland",
        "--notes", "1,2,3,4,5,6,8,10", "--full-notes", "1,2,3,4,8",
    ],
    "iccpr_op1.html": [
        "--rows", "Belarus,Czech Republic,Denmark,Germany,Guyana,Jamaica,Montenegro,Netherlands (Kingdom of the),"
        "Spain,Trinidad and Tobago",
        "--statements", "Germany,Guyana,Denmark,Spain",
        "--notes", "1,2,3,6,9,11", "--full-notes", "1,3,6", "--max-text", "160", "--max-note", "520",
    ],
    "crpd.html": ["--rows", "Afghanistan,Albania,European Union,Germany,Zimbabwe", "--statements", "European Union"],
    "ccw_p4.html": ["--rows", "Afghanistan,Albania,Montenegro,Serbia,Zambia", "--statements", "Australia", "--notes", "1"],
    "ctbt.html": [
        "--rows", "Afghanistan,Albania,Montenegro,Russian Federation,United States of America",
        "--statements", "China", "--notes", "1",
    ],
    "att.html": [
        "--rows", "Albania,Antigua and Barbuda,Austria,Denmark,Estonia,Japan,Liechtenstein,Zambia",
        "--statements", "Belgium", "--notes", "1",
    ],
    "cat_op.html": [
        "--rows", "Afghanistan,Montenegro,United Kingdom of Great Britain and Northern Ireland,Denmark",
        "--statements", "Australia,Azerbaijan,North Macedonia,United Kingdom of Great Britain and Northern Ireland",
        "--notes", "1",
    ],
    "iccpr.html": [
        "--rows", "Albania,Democratic People's Republic of Korea,Republic of Korea",
        "--notes", "8", "--full-notes", "8", "--max-text", "200",
    ],
    "cedaw.html": [
        "--rows", "New Zealand,Niue,Cook Islands", "--statements", "New Zealand",
        "--notes", "44", "--full-notes", "44", "--max-text", "200",
    ],
}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--all"]:
        from pathlib import Path

        here = Path(__file__).parent / "pages"
        for name, recipe in RECIPES.items():
            main([str(Path(argv[1]) / name), str(here / name), *recipe])
        return
    args = _arguments(argv)
    root = html.parse(args.source, parser=html.HTMLParser(encoding="utf-8")).getroot()
    _drop_chrome(root)
    _keep_rows(root, _names(args.rows))
    _keep_statements(root, _names(args.statements), args.max_text)
    _keep_notes(root, set(_names(args.notes)), set(_names(args.full_notes)), args.max_note)
    with open(args.dest, "w", encoding="utf-8") as out:
        out.write("<!DOCTYPE html>\n" + html.tostring(root, encoding="unicode"))


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("dest")
    parser.add_argument("--rows", default="", help="participants to keep in the table, comma separated")
    parser.add_argument("--statements", default="", help="participants whose statements to keep")
    parser.add_argument("--notes", default="", help="end note numbers to keep")
    parser.add_argument("--full-notes", default="", help="end notes not to shorten")
    parser.add_argument("--max-text", type=int, default=300, help="length statements are cut to")
    parser.add_argument("--max-note", type=int, default=300, help="length end notes are cut to")
    return parser.parse_args(argv)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _drop_chrome(root) -> None:
    for element in root.xpath("//script | //style | //link | //noscript | //iframe | //meta | //select/option"):
        element.drop_tree()
    for comment in root.xpath("//comment()"):
        _remove_keeping_tail(comment)
    for element in root.xpath("//*[@id]"):
        if any(part in element.get("id") for part in _CHROME) and element.getparent() is not None:
            element.drop_tree()
    # The site's own chrome (top bar, search, menus): the same on every page, none of the record.
    for element in root.xpath("//div[contains(@class, 'top-bar-section') or contains(@class, 'left-menu')"
                              " or contains(@class, 'navbar-header') or contains(@class, 'search-section')]"):
        if element.getparent() is not None:
            element.drop_tree()
    for field in root.xpath("//input[starts-with(@name, '__')]"):
        field.set("value", "")  # __VIEWSTATE and its kind: tens of kilobytes of base64
    for element in root.iter():
        # Indentation only: a blank text or tail becomes one line break. Text with words in
        # it is left alone, so "29 Jul\t 2020 a" keeps its tab.
        if element.text is not None and not element.text.strip(" \t\r\n"):  # keeps "&nbsp;"
            element.text = "\n"
        if element.tail is not None and not element.tail.strip(" \t\r\n"):
            element.tail = "\n"


def _remove_keeping_tail(node) -> None:
    parent = node.getparent()
    if parent is None:
        return
    previous = node.getprevious()
    if node.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _by_suffix(root, suffix: str):
    return [e for e in root.xpath("//*[@id]") if re.search(rf"_{suffix}$", e.get("id"))]


def _first_cell_name(row) -> str:
    cells = row.xpath("./td")
    if not cells:
        return ""
    text = " ".join(cells[0].text_content().replace("\xa0", " ").split())
    return re.sub(r"\s*\d+(?:\s*,\s*\d+)*$", "", text)


def _keep_rows(root, names: list[str]) -> None:
    for table in _by_suffix(root, "tblgrid") + _by_suffix(root, "tblDec"):
        for row in table.xpath("./tr")[1:]:
            if _first_cell_name(row) not in names:
                row.drop_tree()


def _keep_statements(root, names: list[str], max_text: int) -> None:
    for grid in _by_suffix(root, r"dg(?!NotesAll)[A-Za-z]+"):
        for row in grid.xpath("./tr"):
            who = row.xpath(".//div[substring(@id, string-length(@id) - 14) = '_divParticipant']")
            name = _first_cell_name_of(who[0]) if who else ""
            if name not in names:
                row.drop_tree()
                continue
            for text in row.xpath(".//div[contains(@id, 'Text') and not(contains(@id, 'MainText'))]"):
                _shorten(text, max_text, keep=lambda e: "invisible" in (e.get("class") or ""))


def _first_cell_name_of(div) -> str:
    text = " ".join(div.text_content().replace("\xa0", " ").split())
    return re.sub(r"\s*\d+(?:\s*,\s*\d+)*$", "", text)


def _keep_notes(root, numbers: set[str], full: set[str], max_text: int) -> None:
    for grid in _by_suffix(root, "dgNotesAll"):
        for row in grid.xpath("./tr"):
            anchor = row.xpath(".//a[@name]")
            number = anchor[0].get("name") if anchor else ""
            if number not in numbers:
                row.drop_tree()
            elif number not in full:
                for div in row.xpath(".//div[contains(@id, 'divNotesAll')]"):
                    _shorten(div, max_text, keep=lambda e: e.tag in ("a", "index") and e.getprevious() is None)


def _spaced_text(element) -> str:
    """The text with a space at every element boundary: "<p>6 August 1999</p><p>With …"
    must not become "6 August 1999With"."""
    return " ".join(" ".join(element.itertext()).split())


def _shorten(div, max_text: int, keep) -> None:
    """Cut the div's text to ``max_text`` characters, keeping the children ``keep``
    accepts (the hidden name, the note's number) in front."""
    text = _spaced_text(div)
    if len(text) <= max_text:
        return
    kept = [child for child in div if keep(child)]
    kept_text = " ".join(_spaced_text(child) for child in kept)
    body = text[len(kept_text) :].strip() if text.startswith(kept_text) else text
    for child in list(div):
        if child not in kept:
            div.remove(child)
    for child in kept:
        child.tail = None
    div.text = None
    shortened = body[:max_text].rsplit(" ", 1)[0] + " […]"
    if kept:
        kept[-1].tail = shortened
    else:
        div.text = shortened


if __name__ == "__main__":
    main(sys.argv[1:])
