"""End notes (``…_dgNotesAll``), and the withdrawals and earlier instruments they record.

The table shows one instrument per participant; a withdrawal or denunciation, and an
instrument before or after it, appear only in the end note the participant's footnote
points to. Notes are prose, so they are read sentence by sentence:

- a *withdrawal sentence* reports a fact: it starts with its date ("On 27 June 2025, the
  Government of … deposited … a notification of withdrawal", "In a communication received
  on …") and names the treaty-level act (a denunciation of the Protocol, a withdrawal from
  the Convention, a revocation of a ratification). Sentences arguing about denunciations
  inside quoted objections have no leading date and are not facts of the record;
- "withdraws the reservation", "withdrawal of the declaration" are about a statement, not
  the State, and are not withdrawal sentences;
- the day it takes effect is in the same sentence ("with effect from D") or the next
  ("The withdrawal took effect for Estonia on D", "… will take effect … on D").

What looks like a withdrawal but cannot be read becomes a warning.
"""

import re
from dataclasses import dataclass

from .dates import DATE_PATTERN, make_date
from .dom import Ids, text_of
from .records import EndNote, InstrumentKind, ParticipantRow, Reaccession, Withdrawal, WithdrawalKind

_TREATY = r"(?:said\s+)?(?:Optional\s+|Additional\s+)?(?:Protocol|Convention|Covenant|Treaty|Agreement)"
# "denounced the Convention concerning the employment of women … (ILO Convention No. 45)"
# (CEDAW, New Zealand) is another treaty: a treaty word followed by its own name is not this one.
_THIS_TREATY = _TREATY + r"(?!\s+(?:concerning|relating|regarding|\(ILO|No\.))"
_NOT_A_STATEMENT = r"(?!\s+of\s+(?:the\s+|its\s+|their\s+|a\s+)?(?:\w+\s+)?(?:reservations?|declarations?|objections?|territorial))"
_WITHDRAWAL_RE = re.compile(
    "|".join(
        (
            rf"\bdenounc\w*\s+(?:\w+\s+){{0,3}}?the\s+{_THIS_TREATY}",
            rf"\bdenunciation\s+of\s+(?:the\s+)?{_THIS_TREATY}",
            rf"\bnotification\s+of\s+(?:its\s+)?(?:withdrawal|denunciation)\b{_NOT_A_STATEMENT}",
            rf"\bwithdr[a-z]*\s+from\s+the\s+{_THIS_TREATY}",
            r"\b(?:revoke|revoked|revokes|revocation|revoking)\b[^.]{0,60}?\b(?:ratification|accession|signature)\b",
            r"\bwithdr[a-z]*\s+(?:of\s+)?(?:its|the)\s+(?:instrument\s+of\s+)?(?:ratification|accession)\b",
        )
    ),
    re.IGNORECASE,
)
# The date a fact-reporting sentence starts with: "On D", "In a communication received on D".
_LEAD_RE = re.compile(rf"^(?:On|(?:In|By)\b[^.]{{0,80}}?\b(?:on|of))\s+{DATE_PATTERN}")
_EFFECT_RE = re.compile(
    rf"(?:with\s+effect\s+(?:from|as\s+(?:from|of))|effective\s+(?:from|as\s+of|on)?|"
    rf"(?:took|takes|will\s+take|shall\s+take|taking)\s+effect\b[^.]{{0,80}}?\b(?:on|from|as\s+of))\s+{DATE_PATTERN}",
    re.IGNORECASE,
)
_EFFECT_SENTENCE_RE = re.compile(r"^(?:The|This|Such|Its|That)\s+(?:withdrawal|denunciation)\b", re.IGNORECASE)
_IMPOSSIBLE_RE = re.compile(
    r"does not contain a (?:withdrawal|denunciation) provision|would not appear possible|"
    r"(?:withdrawal|denunciation) (?:is|was|would be) not possible",
    re.IGNORECASE,
)
_JOINED_RE = re.compile(
    rf"\b(?:had\s+)?(?:initially\s+|first\s+|originally\s+)?(?P<verb>acceded|ratified|accepted|approved)\s+"
    rf"(?:to\s+)?the\s+{_TREATY}\s+on\s+{DATE_PATTERN}",
    re.IGNORECASE,
)
_REJOINED_RE = re.compile(r"\bre-?acceded\b", re.IGNORECASE)
_SAME_DAY_RE = re.compile(r"^On\s+(?:that|the)\s+same\s+(?:date|day)\b", re.IGNORECASE)
_VERBS = {
    "acceded": InstrumentKind.ACCESSION,
    "ratified": InstrumentKind.RATIFICATION,
    "accepted": InstrumentKind.ACCEPTANCE,
    "approved": InstrumentKind.APPROVAL,
}
# A sentence ends at "." or ";" before a capital; also at a "." glued to the next word
# ("with a reservation.Subsequently, …" on the ICCPR-OP1 page), but not inside "C.N.182.1993".
_SENTENCE_END_RE = re.compile(r"(?<=[.;])\s+(?=[\"“(\[]?[A-Z])|(?<=[a-z]{2}\.)(?=[A-Z][a-z])")


@dataclass(frozen=True)
class NoteReading:
    notes: tuple[EndNote, ...]
    withdrawals: tuple[Withdrawal, ...]
    earlier_instruments: tuple[Reaccession, ...]


def parse_notes(ids: Ids, participants: tuple[ParticipantRow, ...], warnings: list[str]) -> NoteReading:
    """The end notes, and the withdrawals and earlier instruments they record, each once."""
    notes = tuple(note for note in map(_end_note, ids.all(r"dgNotesAll_ctl\d+_divNotesAll")) if note)
    withdrawals: list[Withdrawal] = []
    earlier: list[Reaccession] = []
    for note in notes:
        found, joined = _read_note(note, participants, warnings)
        withdrawals += [w for w in found if w not in withdrawals]
        earlier += [r for r in joined if r not in earlier]
    return NoteReading(notes, tuple(withdrawals), tuple(earlier))


def _end_note(div) -> EndNote | None:
    """ "<a name='1'>1</a><index></index>On 27 June 2025, …" -> EndNote("1", "On 27 June 2025, …")."""
    anchors = div.xpath("./a[@name]")
    number = anchors[0].get("name").strip() if anchors else ""
    text, _ = text_of(div, skip=lambda node: node.tag == "a" and node.get("name") is not None)
    if not number:
        match = re.match(r"^(\d+)\s*(.*)$", text)
        if match is None:
            return None
        number, text = match.groups()
    return EndNote(number=number, text=text)


def sentences(text: str) -> list[str]:
    """The note's sentences, in order (see _SENTENCE_END_RE for where one ends)."""
    return [part.strip() for part in _SENTENCE_END_RE.split(text) if part.strip()]


def _read_note(note: EndNote, participants, warnings: list[str]):
    """The withdrawals of one note and the instruments around them."""
    if not _WITHDRAWAL_RE.search(note.text):
        return [], []
    pointing = [row for row in participants if note.number in row.footnotes]
    parts = sentences(note.text)
    withdrawals = []
    for index, sentence in enumerate(parts):
        withdrawal = _withdrawal(note, sentence, parts[index + 1 : index + 2], pointing, participants, warnings)
        if withdrawal is not None and withdrawal not in withdrawals:
            withdrawals.append(withdrawal)
    if not withdrawals and not _IMPOSSIBLE_RE.search(note.text):
        snippet = next(s for s in parts if _WITHDRAWAL_RE.search(s))
        warnings.append(f"end note {note.number} mentions a withdrawal or denunciation that was not read: {snippet[:200]!r}")
    joined = _earlier_instruments(note, parts, withdrawals, participants)
    return withdrawals, joined


def _withdrawal(note, sentence, following, pointing, participants, warnings) -> Withdrawal | None:
    lead = _LEAD_RE.match(sentence)
    if lead is None or not _WITHDRAWAL_RE.search(sentence):
        return None  # not a withdrawal, or an argument about one (no date it happened on)
    notified_on = make_date(*lead.groups())
    row = _who(sentence, pointing, participants)
    if row is None:
        warnings.append(f"end note {note.number}: a withdrawal whose participant could not be told: {sentence[:200]!r}")
        return None
    if _IMPOSSIBLE_RE.search(note.text):
        warnings.append(
            f"end note {note.number}: {row.name} notified a withdrawal ({sentence[:120]!r}), but the note says the "
            "treaty allows none; not read as a withdrawal"
        )
        return None
    if not pointing:
        warnings.append(
            f"end note {note.number} is pointed to by no row of the table; its withdrawal is taken to be "
            f"{row.name}'s, whom it names"
        )
    effective_on = _effective(sentence, following)
    if effective_on is None:
        warnings.append(
            f"end note {note.number}: {row.name}'s withdrawal gives no day it takes effect; "
            "the treaty's own article decides it"
        )
    kind = WithdrawalKind.DENUNCIATION if re.search(r"denounc|denunciation", sentence, re.I) else WithdrawalKind.WITHDRAWAL
    return Withdrawal(row.name, note.number, kind, notified_on, effective_on)


def _effective(sentence: str, following: list[str]):
    """The day of effect, from the sentence or the one after it ("The withdrawal took effect …")."""
    match = _EFFECT_RE.search(sentence)
    if match is None and following and _EFFECT_SENTENCE_RE.match(following[0]):
        match = _EFFECT_RE.search(following[0])
    return make_date(*match.groups()[-3:]) if match else None


def _earlier_instruments(note, parts, withdrawals, participants) -> list[Reaccession]:
    """Instruments the note records besides the table's: a first accession later
    denounced, a re-accession after a denunciation. Read only for participants that
    withdrew in this note, so a note on a predecessor State adds nothing."""
    rows = [row for row in participants if row.name in {w.participant for w in withdrawals}]
    found: list[Reaccession] = []
    previous: tuple = ()
    for sentence in parts:
        row = _who(sentence, rows, rows)
        on_kind = _joined_in(sentence, previous, row, found) if row else None
        if on_kind is not None:
            on, kind = on_kind
            shown = row.instrument.on if row.instrument else None
            record = Reaccession(row.name, note.number, on, kind)
            if on != shown and record not in found:
                found.append(record)
        lead = _LEAD_RE.match(sentence)
        if lead:  # what "On that same date" in a later sentence may refer to
            previous = tuple(day for day in (make_date(*lead.groups()), _effective(sentence, [])) if day)
    return found


def _joined_in(sentence, previous, row, found):
    """(date, kind) of an accession or re-accession the sentence reports, or None."""
    joined = _JOINED_RE.search(sentence)
    if joined:
        return make_date(*joined.groups()[1:]), _VERBS[joined["verb"].lower()]
    if not _REJOINED_RE.search(sentence):
        return None
    lead = _LEAD_RE.match(sentence)
    if lead:
        return make_date(*lead.groups()), InstrumentKind.ACCESSION
    if _SAME_DAY_RE.match(sentence) and previous:
        # "On that same date": the day of the previous dated sentence; when it gave two
        # (notified, effective), the one already known as an instrument of this participant.
        known = {r.on for r in found if r.participant == row.name}
        if row.instrument:
            known.add(row.instrument.on)
        day = next((d for d in previous if d in known), previous[0])
        return day, InstrumentKind.ACCESSION
    return None


def _who(sentence: str, pointing: list[ParticipantRow], participants) -> ParticipantRow | None:
    """The participant a sentence is about: among the rows whose footnote points to the
    note, the one the sentence names (the longest name that matches, so that "Democratic
    People's Republic of Korea" is not read as "Republic of Korea"); the only such row when
    the sentence names none of them; among all rows when no row points to the note."""
    candidates = pointing or list(participants)
    named = [(length, row) for row in candidates if (length := _named(row.name, sentence))]
    if named:
        return max(named, key=lambda pair: pair[0])[1]
    return pointing[0] if len(pointing) == 1 else None


def _named(name: str, sentence: str) -> int:
    """The length of the longest spelling of ``name`` the sentence contains, 0 for none.

    "Netherlands (Kingdom of the)" is also "Kingdom of the Netherlands" and "Netherlands";
    "the Government of the Republic of Estonia" names "Estonia".
    """
    spellings = {name}
    match = re.match(r"^(?P<core>.+?)\s*\((?P<extra>[^)]*)\)$", name)
    if match:
        spellings |= {match["core"], f"{match['extra']} {match['core']}"}
    if name.startswith("United Kingdom"):
        spellings.add("United Kingdom")
    lower = sentence.lower()
    lengths = [len(s) for s in spellings if re.search(rf"\b{re.escape(s.lower())}\b", lower)]
    return max(lengths, default=0)

