"""Reads for the pages, downloads and API: a treaty on a date, participant by participant.

``snapshot`` reads everything a page needs in a fixed number of queries, whatever the
number of participants and actions, and computes the status from the same rows.
"""

from dataclasses import dataclass, field
from datetime import date

from signatories.models import Action, Participant
from tracker import rules
from tracker.models import Source, Treaty
from tracker.selectors import precision

CONFIDENCE_RANK = {"depositary": 0, "official": 1, "press": 2}


@dataclass
class ParticipantRow:
    """One participant's standing under a treaty on a date.

    ``signature`` is its signature in effect (simple or definitive), ``deposit`` its
    instrument in effect: a deposit, or the definitive signature itself, which is consent
    to be bound. ``entry_into_force_on_or_before`` says that ``entry_into_force_on`` is
    only the latest day it can be.
    """

    participant: Participant
    status: rules.ParticipantStatus
    signature: Action | None = None
    deposit: Action | None = None
    entry_into_force_on: date | None = None
    entry_into_force_on_or_before: bool = False

    @property
    def actions(self) -> list[Action]:
        # A definitive signature is both the signature and the instrument: list it once.
        found = [a for a in (self.signature, self.deposit) if a is not None]
        return found[:1] if len(found) == 2 and found[0] is found[1] else found

    @property
    def entry_into_force_precision(self) -> str | None:
        """``entry_into_force_on``'s precision in ``DatePrecision``'s values; None without it."""
        return precision(self.entry_into_force_on, self.entry_into_force_on_or_before)

    @property
    def confidence(self) -> str:
        """The weakest confidence among its actions: a row is as sure as its least sure fact."""
        levels = [a.confidence for a in self.actions]
        return max(levels, key=CONFIDENCE_RANK.get) if levels else ""

    @property
    def sources(self) -> list[Source]:
        seen: dict[int, Source] = {}
        for action in self.actions:
            for source in action.sources.all():
                seen.setdefault(source.pk, source)
        return list(seen.values())


@dataclass
class Snapshot:
    """A treaty's status on ``as_of`` with a row per participant."""

    treaty: Treaty
    as_of: date
    status: rules.Status
    rows: list[ParticipantRow] = field(default_factory=list)
    timeline: list[rules.TimelinePoint] = field(default_factory=list)

    @property
    def involved(self) -> list[ParticipantRow]:
        """The rows of participants that had signed or deposited by ``as_of``."""
        return [row for row in self.rows if row.status != rules.ParticipantStatus.NOT_SIGNED]


def snapshot(treaty: Treaty, as_of: date) -> Snapshot:
    """Everything the pages show about ``treaty`` on ``as_of``, in a fixed number of queries."""
    participants = list(Participant.objects.order_by("name").prefetch_related("aliases"))
    actions = list(
        Action.objects.filter(treaty=treaty).select_related("participant").prefetch_related("sources")
    )
    records = [record_of(action) for action in actions]
    status = rules.status_as_of(treaty.rule, records, as_of)
    signatures = first_in_effect((a for a in actions if a.is_signature), as_of)
    instruments = first_in_effect((a for a in actions if a.binds), as_of)
    rows = [row_of(participant, status, signatures, instruments) for participant in participants]
    return Snapshot(treaty, as_of, status, rows, rules.timeline(treaty.rule, records, as_of))


def first_in_effect(actions, as_of: date) -> dict[int, Action]:
    """Each participant's earliest action among ``actions`` in effect on ``as_of``, by id.

    The earliest (then the first recorded), as the rules take a participant's instrument,
    rather than whichever the query happened to list last.
    """
    found: dict[int, Action] = {}
    for action in sorted(actions, key=lambda a: (a.date, a.pk)):
        if action.in_effect_on(as_of):
            found.setdefault(action.participant_id, action)
    return found


def row_of(
    participant: Participant, status: rules.Status, signatures: dict[int, Action], instruments: dict[int, Action]
) -> ParticipantRow:
    """One participant's row: its standing and dates from the status, its actions shown."""
    key = participant.slug
    return ParticipantRow(
        participant=participant,
        status=rules.participant_status(status, key, key in status.signed, key in status.with_instrument),
        signature=signatures.get(participant.pk),
        deposit=instruments.get(participant.pk),
        entry_into_force_on=status.entry_into_force_for.get(key),
        entry_into_force_on_or_before=key in status.entry_into_force_on_or_before_for,
    )


def record_of(action: Action) -> rules.ActionRecord:
    """An action as the rules engine reads it, with its withdrawal and its date's precision."""
    return rules.ActionRecord(
        participant=action.participant.slug,
        kind=rules.ActionKind(action.kind),
        on=action.date,
        is_reio=action.participant.is_reio,
        withdrawn_on=action.withdrawn_on,
        on_or_before=action.on_or_before,
    )
