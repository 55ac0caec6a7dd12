"""Reads for the pages, downloads and API: a treaty on a date, participant by participant.

``snapshot`` reads everything a page needs in a fixed number of queries, whatever the
number of participants and actions, and computes the status from the same rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from signatories.models import Action, Participant, ParticipantAlias
from tracker import rules
from tracker.models import Source, Treaty
from tracker.selectors import precision, treaty_rule, with_stated_date
from tracker.wording import withdrawal_words

# The standing of a participant whose signature or instrument was withdrawn, and that has
# none in effect any more: shown beside ``rules.ParticipantStatus``'s values.
WITHDRAWN = "withdrawn"

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
    # The withdrawn signature or instrument to show: the instrument in effect when its
    # withdrawal is known but takes effect after ``as_of``, or, when none is in effect,
    # the last one whose withdrawal took effect by then.
    withdrawal: Action | None = None
    as_of: date | None = None

    @property
    def withdrawn(self) -> bool:
        """Whether the participant's signature or instrument was withdrawn, with effect by
        ``as_of``, and it has no instrument in effect: it no longer counts."""
        return self.withdrawal is not None and self.withdrawal.withdrawn_on <= self.as_of

    @property
    def withdrawal_pending(self) -> bool:
        """Whether its instrument still counts, but a withdrawal of it takes effect later."""
        return self.withdrawal is not None and self.withdrawal.withdrawn_on > self.as_of

    @property
    def standing(self) -> str:
        """Its status, or ``WITHDRAWN`` once its withdrawal took effect and nothing replaced it."""
        return WITHDRAWN if self.withdrawn else self.status.value

    @property
    def withdrawal_effective_on(self) -> date | None:
        return self.withdrawal.withdrawn_on if self.withdrawal else None

    @property
    def withdrawal_notified_on(self) -> date | None:
        return self.withdrawal.withdrawal_notified_on if self.withdrawal else None

    def withdrawal_text(self, fmt=None) -> str:
        """"withdrawn, effective <date>" or "withdrawal takes effect <date>"; "" with none."""
        return withdrawal_words(self.withdrawal_effective_on, self.as_of, fmt) if self.as_of else ""

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
            for source in cited_by(action):
                seen.setdefault(source.pk, source)
        return list(seen.values())


def cited_by(action: Action) -> list[Source]:
    """The sources of an action of a snapshot (``cite_sources``), else from the database."""
    cited = getattr(action, "cited", None)
    return cited if cited is not None else list(action.sources.all())


def cite_sources(treaty: Treaty, actions: list[Action]) -> None:
    """Give each of ``actions`` its sources as ``cited``, in Source's order, in two queries.

    Rather than prefetch_related: each ``action.sources.all()`` of a prefetch clones a
    queryset, and a treaty's table asked for it several times a row, a quarter of a
    200-row page's time. The links are read as pairs of ids, and each source once: a page
    that every action cites is one object, not one per action."""
    links = Action.sources.through.objects.filter(action__treaty=treaty)
    ordering = (*(f"source__{name}" for name in Source._meta.ordering), "source_id")
    pairs = list(links.order_by(*ordering).values_list("action_id", "source_id"))
    # By a subquery rather than a list of ids: a treaty may cite thousands of sources.
    cited = Source.objects.filter(pk__in=links.values("source_id")).order_by() if pairs else []
    sources = {source.pk: source for source in cited}
    by_action: dict[int, list[Source]] = defaultdict(list)
    for action_id, source_id in pairs:
        if source_id in sources:  # else deleted between the two reads
            by_action[action_id].append(sources[source_id])
    for action in actions:
        action.cited = by_action.get(action.pk, [])


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
        return [row for row in self.rows if is_involved(row)]


def is_involved(row: ParticipantRow) -> bool:
    """Whether the participant had signed or deposited by the day: in effect, or withdrawn."""
    return row.status != rules.ParticipantStatus.NOT_SIGNED or row.withdrawal is not None


def snapshot(treaty: Treaty, as_of: date) -> Snapshot:
    """Everything the pages show about ``treaty`` on ``as_of``, in a fixed number of queries."""
    participants = with_alias_names(list(Participant.objects.order_by("name")))
    actions = list(Action.objects.filter(treaty=treaty))
    by_pk = {participant.pk: participant for participant in participants}
    for action in actions:
        # The participants just read, rather than a copy of each per action (a join).
        if action.participant_id in by_pk:
            action.participant = by_pk[action.participant_id]
    cite_sources(treaty, actions)
    records = [record_of(action) for action in actions]
    # The rule with the facts of other rows (a protocol's convention, required participants),
    # and the depositary's stated date standing for the date of entry into force, as
    # selectors.treaty_status gives them: the pages and the command agree.
    rule = treaty_rule(treaty, as_of)
    status = with_stated_date(treaty, rules.status_as_of(rule, records, as_of))
    signatures = first_in_effect((a for a in actions if a.is_signature), as_of)
    instruments = first_in_effect((a for a in actions if a.binds), as_of)
    withdrawals = withdrawals_to_show(actions, signatures, instruments, as_of)
    rows = [row_of(participant, status, signatures, instruments) for participant in participants]
    for row in rows:
        row.withdrawal, row.as_of = withdrawals.get(row.participant.pk), as_of
    return Snapshot(treaty, as_of, status, rows, rules.timeline(rule, records, as_of))


def with_alias_names(participants: list[Participant]) -> list[Participant]:
    """``participants``, each with ``alias_names``: the names it is also known by, read in one
    query of names (tracker.tables searches them). A prefetch of ``aliases`` built a queryset
    and a model object per participant and alias, half of a snapshot's time."""
    names: dict[int, list[str]] = defaultdict(list)
    for participant_id, name in ParticipantAlias.objects.order_by("name").values_list("participant_id", "name"):
        names[participant_id].append(name)
    for participant in participants:
        participant.alias_names = names.get(participant.pk, [])
    return participants


def withdrawal_known(action: Action, as_of: date) -> bool:
    """Whether a withdrawal of ``action`` is known on ``as_of``: it was notified by then (or
    no notification date is recorded) and it concerns an action done by then."""
    if action.withdrawn_on is None or action.date > as_of:
        return False
    notified = action.withdrawal_notified_on
    return notified is None or notified <= as_of or action.withdrawn_on <= as_of


def withdrawals_to_show(
    actions: list[Action], signatures: dict[int, Action], instruments: dict[int, Action], as_of: date
) -> dict[int, Action]:
    """Each participant's withdrawal to show on ``as_of``, by id (see ``ParticipantRow.withdrawal``).

    With an instrument in effect: that instrument, if its withdrawal is known and takes effect
    later. With none: its last instrument withdrawn by then, or failing one its last signature
    withdrawn, if it has no other signature in effect.
    """
    found: dict[int, Action] = {}
    for participant_id, instrument in instruments.items():
        if withdrawal_known(instrument, as_of):
            found[participant_id] = instrument
    past = [a for a in actions if withdrawal_known(a, as_of) and a.withdrawn_on <= as_of]
    # Instruments after signatures, each by the day it took effect: the last one wins.
    for action in sorted(past, key=lambda a: (a.binds, a.withdrawn_on, a.pk)):
        if action.participant_id in instruments:
            continue
        if action.binds or action.participant_id not in signatures:
            found[action.participant_id] = action
    return found


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
