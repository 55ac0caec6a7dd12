"""The plain records a depositary status page is read into.

No Django here: ``tracker.depositary.parse`` fills these from a page, and the sync service
(``tracker.sync``) applies them to the models. Names are the depositary's own spelling,
with the footnote numbers taken off.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class InstrumentKind(StrEnum):
    """The type of an instrument, from the suffix after its date in the table."""

    RATIFICATION = "ratification"  # no suffix
    ACCESSION = "accession"  # a
    ACCEPTANCE = "acceptance"  # A
    APPROVAL = "approval"  # AA
    SUCCESSION = "succession"  # d
    DEFINITIVE_SIGNATURE = "definitive_signature"  # s
    FORMAL_CONFIRMATION = "formal_confirmation"  # c
    CONSENT_TO_BE_BOUND = "consent_to_be_bound"  # P


class WithdrawalKind(StrEnum):
    WITHDRAWAL = "withdrawal"
    DENUNCIATION = "denunciation"


@dataclass(frozen=True)
class Header:
    """What the page says about the treaty itself."""

    reference: str  # the depositary reference, e.g. "XXVI-5" or "IV-9-b"
    chapter: str  # "XXVI"
    chapter_title: str  # "DISARMAMENT"
    title: str  # without the leading number ("5. ")
    adopted_place: str  # "Oslo"; "" when the page gives none
    adopted_on: date | None
    entry_into_force_text: str  # the whole "Entry into force" cell, whitespace normalised
    entry_into_force_on: date | None  # None when not in force
    entry_into_force_article: str  # e.g. "article 17(1)"; "" when none is named
    registration: str  # the "Registration" cell, "" when absent
    signatories: int | None  # "Status: Signatories: N"; None when the page gives none
    parties: int | None  # "Parties: M"
    as_at: datetime  # "STATUS AS AT : 03-02-2026 10:16:18 EDT", aware, in America/New_York
    as_at_text: str  # the original, e.g. "03-02-2026 10:16:18 EDT"


@dataclass(frozen=True)
class Instrument:
    """A dated instrument in the table's last column."""

    on: date
    kind: InstrumentKind
    bracketed: bool = False  # the depositary puts a date in [brackets] once it no longer counts


@dataclass(frozen=True)
class ExtraCell:
    """A cell of a column other than participant, signature and instrument (provisional
    application, a declaration under an article, …)."""

    column: str  # the column's header, whitespace normalised
    text: str  # the cell as shown, whitespace normalised
    on: date | None  # its date, if it has one
    marker: str = ""  # the suffix after the date, e.g. "n" (a notification of the column's kind)


@dataclass(frozen=True)
class ParticipantRow:
    """One row of the participants table."""

    row: int  # 1 for the first participant
    name: str  # footnote numbers removed: "Poland 8" -> "Poland"
    footnotes: tuple[str, ...]  # ("8",)
    signature_on: date | None
    signature_kind: str = "signature"  # "signature", or "succession" for a succession to signature (d)
    signature_bracketed: bool = False
    instrument: Instrument | None = None
    extra: tuple[ExtraCell, ...] = ()


@dataclass(frozen=True)
class Statement:
    """A declaration, reservation, objection or territorial application, as the page gives it."""

    section: str  # the section's title, e.g. "Declarations and Reservations", "Objections"
    participant: str  # footnote numbers removed
    footnotes: tuple[str, ...]
    text: str  # the whole text, whitespace normalised, the participant's name not repeated in front
    dates: tuple[date, ...] = ()  # the dates the text gives, in order of appearance


@dataclass(frozen=True)
class EndNote:
    number: str  # "1"
    text: str  # whitespace normalised


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawal or denunciation read from an end note."""

    participant: str  # the participant's name in the table (the row whose footnote points here)
    note: str  # the end note's number
    kind: WithdrawalKind
    notified_on: date | None  # the day the notification was deposited or received
    effective_on: date | None  # the day it took or takes effect; None when the note does not say


@dataclass(frozen=True)
class Reaccession:
    """An instrument that an end note records besides the one the table shows: a first
    accession later denounced, or a re-accession after a denunciation."""

    participant: str
    note: str
    on: date
    kind: InstrumentKind = InstrumentKind.ACCESSION


@dataclass(frozen=True)
class StatusPage:
    """Everything read from one status page."""

    header: Header
    participants: tuple[ParticipantRow, ...]
    columns: tuple[str, ...]  # the table's headers, in order
    statements: tuple[Statement, ...] = ()
    notes: tuple[EndNote, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = ()
    earlier_instruments: tuple[Reaccession, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)  # what was read but not understood
