"""The header of a status page: what the depositary says about the treaty itself."""

import re
from collections import Counter
from urllib.parse import unquote

from lxml import html

from .dates import first_date, make_date, parse_as_at
from .dom import Ids
from .errors import PageError
from .records import Header

# "5. Convention on …", "9. b Optional Protocol …", "2. a Additional Protocol …"
_TITLE_RE = re.compile(r"^(?P<number>\d+)\s*\.\s*(?:(?P<letter>[a-z])\b\.?\s+)?(?P<title>.+)$")
_CHAPTER_RE = re.compile(r"CHAPTER\s+(?P<chapter>[IVXLC]+)\b", re.IGNORECASE)
_REFERENCE_RE = re.compile(r"mtdsg_no=(?P<ref>[IVXLC]+-\d+(?:-[a-z])?)\b", re.IGNORECASE)
_LEADING_DATE_RE = re.compile(r"^\s*(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\b")
# "in accordance with article 17(1)", "… article XXI(1)", "… article 2 of the Additional Protocol"
_ARTICLE_RE = re.compile(
    r"(?:in accordance with|\[see)\s+(?P<article>articles?\s+[IVXLC\d]+(?:\s*\(\s*\w+\s*\))*"
    r"(?:\s+of\s+the\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)?)"
)


def parse_header(root: html.HtmlElement, ids: Ids, url: str, warnings: list[str]) -> Header:
    """Read the header; PageError when the "STATUS AS AT" line or the title is missing."""
    as_at, as_at_text = _as_at(ids)
    chapter, chapter_title = _chapter(ids, warnings)
    number, letter, title = _title(ids)
    place, adopted_on = _adoption(ids)
    eif_text, eif_on, eif_article = _entry_into_force(ids, warnings)
    signatories, parties = _status(ids, warnings)
    return Header(
        reference=_reference(root, url, chapter, number, letter, warnings),
        chapter=chapter,
        chapter_title=chapter_title,
        title=title,
        adopted_place=place,
        adopted_on=adopted_on,
        entry_into_force_text=eif_text,
        entry_into_force_on=eif_on,
        entry_into_force_article=eif_article,
        registration=ids.text(r"rptRegistration_ctl\d+_tcText"),
        signatories=signatories,
        parties=parties,
        as_at=as_at,
        as_at_text=as_at_text,
    )


def _as_at(ids: Ids):
    line = ids.text("div3")
    if "STATUS AS AT" not in line.upper():
        raise PageError("no 'STATUS AS AT' line (…_div3) found: the page does not say what day it shows")
    stamp = parse_as_at(line)
    if stamp is None:
        raise PageError(f"the 'STATUS AS AT' line {line!r} holds no date and time like '03-02-2026 10:16:18'")
    return stamp


def _chapter(ids: Ids, warnings: list[str]) -> tuple[str, str]:
    head = ids.text(r"rptHead_ctl\d+_tcHead")
    match = _CHAPTER_RE.search(head)
    if match is None:
        warnings.append("no chapter heading (…rptHead…_tcHead, 'CHAPTER XXVI') found")
        return "", ids.text(r"rptHead_ctl\d+_tcText")
    return match["chapter"].upper(), ids.text(r"rptHead_ctl\d+_tcText")


def _title(ids: Ids) -> tuple[str, str, str]:
    """The treaty's number in its chapter, its letter ("b" in "9. b"), and its title."""
    line = ids.text(r"rptTreaty_ctl\d+_tcTreaty")
    if not line:
        raise PageError("no treaty title (…rptTreaty…_tcTreaty) found")
    match = _TITLE_RE.match(line)
    if match is None:  # a title without its number: keep the title, the reference must come from elsewhere
        return "", "", line
    return match["number"], match["letter"] or "", match["title"]


def _adoption(ids: Ids):
    """ "Oslo, 18 September 1997" -> ("Oslo", date(1997, 9, 18))."""
    line = ids.text(r"rptTreaty_ctl\d+_tcText")
    adopted_on = first_date(line)
    place, comma, _ = line.rpartition(",")
    if not comma or adopted_on is None:
        return ("" if adopted_on else line), adopted_on
    return place.strip(), adopted_on


def _entry_into_force(ids: Ids, warnings: list[str]):
    """The "Entry into force" cell, its date when the treaty is in force, and the article.

    A treaty not in force has the label "Not yet in force" and a sentence instead of a date.
    """
    label = ids.text(r"rptEIF_ctl\d+_tcEifLabel")
    text = ids.text(r"rptEIF_ctl\d+_tcText")
    article = _ARTICLE_RE.search(text)
    article_text = " ".join(article["article"].split()) if article else ""
    if "not yet" in label.lower() or not text:
        return text, None, article_text
    leading = _LEADING_DATE_RE.match(text)
    on = make_date(*leading.groups()) if leading else None
    if on is None:
        warnings.append(f"the 'Entry into force' cell gives no date at its start: {text[:120]!r}")
    return text, on, article_text


def _status(ids: Ids, warnings: list[str]) -> tuple[int | None, int | None]:
    """ "Signatories : 132. Parties : 162"; CCW Protocol IV gives Parties only."""
    line = ids.text(r"rptStatus_ctl\d+_tcText")
    if not line:
        warnings.append("no Status line (…rptStatus…, 'Signatories : N. Parties : M') found")
        return None, None
    signatories = re.search(r"Signatories\s*:\s*(\d+)", line, re.IGNORECASE)
    parties = re.search(r"Parties\s*:\s*(\d+)", line, re.IGNORECASE)
    if parties is None:
        warnings.append(f"the Status line gives no 'Parties : N': {line!r}")
    return (int(signatories[1]) if signatories else None), (int(parties[1]) if parties else None)


def _reference(root, url: str, chapter: str, number: str, letter: str, warnings: list[str]) -> str:
    """The depositary reference ("XXVI-5", "IV-9-b"): the ``mtdsg_no`` of ``url`` or of the
    page's own links when there is one, else chapter, number and letter of the title."""
    derived = "-".join(part for part in (chapter, number, letter) if part) if chapter and number else ""
    given = _reference_in(url) or _reference_in_page(root)
    if given and derived and given != derived:
        warnings.append(f"the page's reference {given} differs from its chapter and title ({derived}); {given} kept")
    reference = given or derived
    if not reference:
        raise PageError("no reference found: neither an mtdsg_no in the page or its address nor a chapter and number")
    return reference


def _reference_in(text: str) -> str:
    match = _REFERENCE_RE.search(unquote(text or ""))
    return _tidy_reference(match["ref"]) if match else ""


def _reference_in_page(root: html.HtmlElement) -> str:
    """The mtdsg_no most of the page's form actions and links carry."""
    found = Counter()
    for element in root.iter("form", "a"):
        reference = _reference_in(element.get("action") or element.get("href") or "")
        if reference:
            found[reference] += 1
    return found.most_common(1)[0][0] if found else ""


def _tidy_reference(reference: str) -> str:
    """ "xxvi-5" -> "XXVI-5", "iv-9-B" -> "IV-9-b": the chapter is upper case, the letter lower."""
    parts = reference.split("-")
    parts[0] = parts[0].upper()
    if len(parts) == 3:
        parts[2] = parts[2].lower()
    return "-".join(parts)
