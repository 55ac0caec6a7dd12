"""The rows of a treaty's participants table, written in Python rather than a template.

For a treaty of 200 participants the template's loop took a third of the treaty page's time
(bench/treaty_page_bench.py), most of it in looking up variables, in the ``date`` filter and
in reversing the participant's URL on each row; this writes the same rows in a tenth of
that. Every text is escaped here.

Each cell carries its column's name (``data-label``), so that on a phone the stylesheet can
stack a row's cells, each under its name; each date is a ``<time class="date">``, which
never wraps.
"""

from collections.abc import Iterable
from datetime import date
from functools import cache
from html import escape

from signatories.models import Action, RegionalGroup
from tracker import links
from tracker.models import DatePrecision, Source
from tracker.rules import ActionKind
from tracker.snapshots import ParticipantRow

# The columns' names, as the header gives them: the view's sort links carry the same.
LABELS = {
    "name": "Participant",
    "group": "UN regional group",
    "signature": "Signed",
    "instrument": "Instrument",
    "deposit": "Deposited",
    "in_force": "In force for it",
    "confidence": "Confidence",
    "sources": "Sources",
}
NONE = "—"
@cache
def kind_labels() -> dict[str, str]:
    """What ``get_kind_display`` says of each kind of action: the choices are code, so they
    are read once per process."""
    return {str(value): str(label) for value, label in Action._meta.get_field("kind").flatchoices}


GROUP_LABELS = {str(value): str(label) for value, label in RegionalGroup.choices}


def time(day: date) -> str:
    """A date as the table writes it: ISO, in a ``<time>`` the stylesheet keeps on one line."""
    text = day.isoformat()
    return f'<time class="date" datetime="{text}">{text}</time>'


def dated(day: date, on_or_before: bool) -> str:
    return f"on or before {time(day)}" if on_or_before else time(day)


def action_date(action: Action) -> str:
    return dated(action.date, action.date_precision == DatePrecision.ON_OR_BEFORE)


class RowWriter:
    """Writes rows with what every row shares worked out once: the column names, the
    participant pages' URL, each source's label."""

    def __init__(self, labels: dict[str, str]):
        self.labels = {key: escape(label) for key, label in (LABELS | labels).items()}
        self.participant_url = links.participant_links()
        self.source_labels: dict[int, str] = {}

    def td(self, key: str, content: str, extra: str = "") -> str:
        """A cell named by the column ``key``; ``content`` is markup, escaped by the caller."""
        return f'<td data-label="{self.labels[key]}"{extra}>{content}</td>'

    def row(self, row: ParticipantRow) -> str:
        participant = row.participant
        href = escape(self.participant_url(participant))
        in_force = (
            dated(row.entry_into_force_on, row.entry_into_force_on_or_before)
            if row.entry_into_force_on
            else NONE
        )
        confidence = escape(row.confidence)
        return "".join(
            (
                f'<tr data-iso3="{escape(participant.iso_alpha3 or "")}" data-status="{escape(row.standing)}">',
                f'<th scope="row" data-label="{self.labels["name"]}">',
                f'<a href="{href}">{escape(participant.name)}</a></th>',
                self.td("group", escape(group_label(participant.un_regional_group)) or NONE),
                self.td("signature", signature(row)),
                self.td("instrument", instrument(row)),
                self.td("deposit", deposit_date(row)),
                self.td("in_force", in_force),
                self.td("confidence", f'<span class="badge badge-{confidence}">{confidence}</span>'),
                self.td("sources", self.sources(row.sources), ' class="sources"'),
                "</tr>",
            )
        )

    def sources(self, sources: list[Source]) -> str:
        """Numbered links, each named by its source's title (``title`` and ``aria-label``)."""
        links = []
        for number, source in enumerate(sources, start=1):
            key = source.pk if source.pk is not None else id(source)
            label = self.source_labels.get(key)
            if label is None:
                label = self.source_labels[key] = escape(str(source))
            href = escape(source.url or "#")
            links.append(
                f'<a href="{href}" title="{label}" aria-label="Source {number}: {label}">{number}</a>'
            )
        return " ".join(links)


def group_label(group: str | None) -> str:
    """What ``get_un_regional_group_display`` says: the group's name, "" with none."""
    return GROUP_LABELS.get(group, group) if group else ""


def signature(row: ParticipantRow) -> str:
    action = row.signature
    if action is None:
        return NONE
    definitive = " (definitive)" if action.kind == ActionKind.DEFINITIVE_SIGNATURE else ""
    return action_date(action) + definitive


def instrument(row: ParticipantRow) -> str:
    """The instrument in effect, else the one withdrawn, and the withdrawal in words."""
    shown = row.deposit or row.withdrawal
    text = escape(kind_labels().get(shown.kind, shown.kind)) if shown else NONE
    if row.withdrawal is not None:
        # The words are escaped, then the date put in their place as markup.
        words = escape(row.withdrawal_text(lambda day: "\0")).replace("\0", time(row.withdrawal.withdrawn_on))
        state = "effective" if row.withdrawn else "pending"
        text += f' <span class="withdrawal" data-withdrawal="{state}">({words})</span>'
    return text


def deposit_date(row: ParticipantRow) -> str:
    if row.deposit is not None:
        return action_date(row.deposit)
    if row.withdrawal is not None and row.withdrawal.binds:
        return action_date(row.withdrawal)
    return NONE


def rows_html(rows: Iterable[ParticipantRow], labels: dict[str, str] | None = None) -> str:
    """The ``<tr>`` of each row, as one string of markup in which every text is escaped.

    ``labels`` names the columns by their keys (tables.SORT_KEYS, and "sources"), as the
    header does."""
    writer = RowWriter(labels or {})
    return "\n".join(writer.row(row) for row in rows)
