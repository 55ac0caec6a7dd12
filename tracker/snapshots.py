"""Reads for the pages, downloads and API: a treaty on a date, participant by participant.

``snapshot`` reads everything a page needs in a fixed number of queries, whatever the
number of participants and actions, and computes the status from the same rows.
"""

from dataclasses import dataclass, field
from datetime import date

from signatories.models import Action, Participant
from tracker import rules
from tracker.models import Source, Treaty

CONFIDENCE_RANK = {"depositary": 0, "official": 1, "press": 2}


@dataclass
class ParticipantRow:
    """One participant's standing under a treaty on a date."""

    participant: Participant
    status: rules.ParticipantStatus
    signature: Action | None = None
    deposit: Action | None = None
    entry_into_force_on: date | None = None

    @property
    def actions(self) -> list[Action]:
        return [a for a in (self.signature, self.deposit) if a is not None]

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
    signatures: dict[int, Action] = {}
    deposits: dict[int, Action] = {}
    for action in actions:
        if action.date > as_of:
            continue
        if action.is_signature:
            signatures[action.participant_id] = action
        elif action.withdrawn_on is None or action.withdrawn_on > as_of:
            deposits[action.participant_id] = action
    rows = []
    for participant in participants:
        signature, deposit = signatures.get(participant.pk), deposits.get(participant.pk)
        standing = rules.participant_status(status, participant.slug, signature is not None, deposit is not None)
        rows.append(
            ParticipantRow(
                participant=participant,
                status=standing,
                signature=signature,
                deposit=deposit,
                entry_into_force_on=status.entry_into_force_for.get(participant.slug) if deposit else None,
            )
        )
    return Snapshot(treaty, as_of, status, rows, rules.timeline(treaty.rule, records, as_of))


def record_of(action: Action) -> rules.ActionRecord:
    return rules.ActionRecord(
        participant=action.participant.slug,
        kind=rules.ActionKind(action.kind),
        on=action.date,
        is_reio=action.participant.is_reio,
        withdrawn_on=action.withdrawn_on,
    )
