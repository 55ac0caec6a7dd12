"""Where a treaty's status page is at the depositary, by its reference."""

from urllib.parse import parse_qs, urlencode, urlsplit

from tracker.depositary.records import StatusPage

VIEW_DETAILS = "https://treaties.un.org/Pages/ViewDetails.aspx"
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_to_int(numeral: str) -> int:
    """XXVI -> 26; the chapters of the Secretary-General's treaties are numbered so."""
    values = [ROMAN[letter] for letter in numeral.upper()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def status_page_url(reference: str) -> str:
    """The UNTC status page of the treaty with depositary reference ``reference`` (XXVI-5)."""
    chapter = reference.split("-", 1)[0]
    query = {"src": "TREATY", "mtdsg_no": reference, "chapter": roman_to_int(chapter), "clang": "_en"}
    return f"{VIEW_DETAILS}?{urlencode(query)}"


def canonical_url(page: StatusPage, read_from: str = "") -> str:
    """The address the page's facts cite: where it was fetched from, if that is the
    depositary's status page; else (a saved file, a mirror) the depositary's own address."""
    parts = urlsplit(read_from)
    if parts.scheme in ("http", "https") and parts.hostname == "treaties.un.org":
        query = parse_qs(parts.query)
        if query.get("mtdsg_no", [""])[0].upper() == page.header.reference.upper():
            return read_from
    return status_page_url(page.header.reference)
