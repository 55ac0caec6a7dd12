"""The rows of the home page's table of treaties, written in Python rather than a template.

Measured with 600 treaties (bench/scale_bench.py), the template took 410 ms for the rows,
a third of it in the ``date`` filter, against a goal of 300 ms for the whole page; these
functions write the same markup in a few milliseconds. Every text is escaped.
"""

from datetime import date
from html import escape

from tracker import links
from tracker.overview import TreatyLine
from tracker.timetravel import shown


def day(value: date) -> str:
    """A date as the table shows it: 1 Mar 2026, never wrapped."""
    return f"{value.day} {value.strftime('%b %Y')}"


def timed(value: date, text: str, stat: str = "") -> str:
    attribute = f' data-stat="{stat}"' if stat else ""
    return f'<time class="date" datetime="{value.isoformat()}"{attribute}>{escape(text)}</time>'


def entry_into_force_cell(line: TreatyLine) -> str:
    treaty, status = line.treaty, line.status
    if status.entry_into_force_on:
        prefix = "on or before " if status.entry_into_force_on_or_before else ""
        cell = timed(status.entry_into_force_on, prefix + day(status.entry_into_force_on), "entry_into_force_on")
        if status.in_force:
            cell += ' <span class="badge badge-in-force">in force</span>'
        if not treaty.has_rule:
            cell += " <small>stated by the depositary; no rule recorded</small>"
        return cell
    if treaty.has_rule:
        words = f"Not yet: {line.rule_words}"
    elif treaty.rule_out_of_scope.strip():
        words = f"Not computed: {treaty.rule_out_of_scope.strip()}"
    else:
        words = "No rule of entry into force is recorded yet, so no date is computed."
    return f'<span data-stat="entry_into_force_on">{escape(words)}</span>'


def signature_cell(line: TreatyLine) -> str:
    closes, opens = line.treaty.signature_closes_on, line.treaty.signature_opens_on
    if opens is not None and line.status.as_of < opens:
        return "opens " + timed(opens, day(opens))
    if line.status.days_until_signature_closes is not None:
        return "open until " + timed(closes, day(closes))
    return "closed " + timed(closes, day(closes)) if closes else "no deadline"


def row(line: TreatyLine, query: str, page=None) -> str:
    """One treaty's row; ``query`` is the page's own ``as_of`` query, kept in the links;
    ``page`` gives the treaty page's address from a slug (links.reverse_once)."""
    treaty, status = line.treaty, line.status
    page = page or links.reverse_once("treaty")
    link = page(treaty.slug) + (f"?{query}" if query else "")
    reference = f' <small class="reference">{escape(treaty.depositary_reference)}</small>' if treaty.depositary_reference else ""
    counted = f'<span data-stat="instruments_counted">{status.instruments_counted}</span>'
    if status.threshold:
        counted += f' of <span data-stat="threshold">{status.threshold}</span>'
    return (
        f'<tr data-treaty="{escape(treaty.slug)}">'
        f'<th scope="row"><a href="{escape(link)}">{escape(treaty.short_title)}</a>{reference}</th>'
        f'<td data-label="Instruments counted">{counted}</td>'
        f'<td data-label="Signatories" data-stat="signatories">{status.signatories}</td>'
        f'<td data-label="Entry into force">{entry_into_force_cell(line)}</td>'
        f'<td data-label="Signature">{signature_cell(line)}</td></tr>'
    )


def rows(lines: list[TreatyLine], query: str) -> str:
    page = links.reverse_once("treaty")
    return "\n".join(row(line, query, page) for line in lines)


# --- Finding a treaty: ``?q=&status=&ordering=`` -------------------------------------
# Filtering and sorting run in Python over the lines tracker.overview computed: a few
# microseconds a treaty, and no query more than the page without them.

STATUS_FILTERS = {
    "open-for-signature": "Open for signature",
    "not-in-force": "Not in force",
    "in-force": "In force",
}
ORDERINGS = {
    "": "Name",
    "-progress": "Closest to entry into force",
    "progress": "Furthest from entry into force",
    "-adopted": "Adopted most recently",
    "adopted": "Adopted longest ago",
    "-entry_into_force": "Entered into force most recently",
    "entry_into_force": "Entered into force longest ago",
}


def is_open_for_signature(line: TreatyLine) -> bool:
    """Opened for signature on or before the day, and its deadline not passed."""
    opens = line.treaty.signature_opens_on
    opened = opens is None or opens <= line.status.as_of
    return opened and line.status.days_until_signature_closes is not None


STATUS_TESTS = {
    "open-for-signature": is_open_for_signature,
    "not-in-force": lambda line: not line.status.in_force,
    "in-force": lambda line: line.status.in_force,
}


def searchable(line: TreatyLine) -> str:
    """What a search reads: the names, the full title, the depositary's subject and the reference."""
    treaty = line.treaty
    return " ".join((treaty.short_title, treaty.title, treaty.subject, treaty.depositary_reference, treaty.slug)).casefold()


def matches(line: TreatyLine, words: list[str]) -> bool:
    text = searchable(line)
    return all(word in text for word in words)


SORT_FIELDS = {
    "progress": lambda line: line.progress,
    "adopted": lambda line: line.treaty.adopted_on,
    # The date it entered into force, on the day shown: a treaty not yet in force has none.
    "entry_into_force": lambda line: line.status.entry_into_force_on if line.status.in_force else None,
}


def select(lines: list[TreatyLine], q: str = "", status: str = "", ordering: str = "") -> list[TreatyLine]:
    """The lines a search, a status and an ordering ask for. Unknown values are the view's
    to refuse (``problems``); here they select nothing more than no value does."""
    words = q.casefold().split()
    if words:
        lines = [line for line in lines if matches(line, words)]
    if status in STATUS_TESTS:
        lines = [line for line in lines if STATUS_TESTS[status](line)]
    field = SORT_FIELDS.get(ordering.removeprefix("-"))
    if field is None:
        return lines
    # Lines without the value last, whichever the direction; ties keep the name order.
    known = [line for line in lines if field(line) is not None]
    known.sort(key=field, reverse=ordering.startswith("-"))
    return known + [line for line in lines if field(line) is None]


def problems(raw: dict) -> list[str]:
    """A message for each parameter the page could not read, saying what it shows instead."""
    found = []
    status = raw.get("status", "")
    if status and status not in STATUS_FILTERS:
        choices = ", ".join(f"“{value}”" for value in STATUS_FILTERS)
        found.append(f"“{shown(status)}” is not a status the list filters by ({choices}); showing every status.")
    ordering = raw.get("ordering", "")
    if ordering and ordering not in ORDERINGS:
        choices = ", ".join(f"“{value}”" for value in ORDERINGS if value)
        found.append(f"“{shown(ordering)}” is not an order the list knows ({choices}); sorted by name.")
    return found
