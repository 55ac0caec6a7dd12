"""The entry-into-force rules of a treaty, as pure functions of plain data and a date.

Nothing here imports Django: the models adapt their rows to ``TreatyRule`` and
``ActionRecord`` and ask ``status_as_of`` what the state of a treaty was, or will be, on a
given calendar date. Every page, API response, command and alert computes from here, so
that they all agree.

The rule follows the final clauses of the UN treaties (UN Convention against Cybercrime,
art. 65; UNCAC, art. 68):

1. The treaty enters into force on the ``entry_into_force_delay_days``-th day after the
   deposit of the ``threshold``-th instrument of ratification, acceptance, approval,
   accession (or succession). Several deposits on one day count together: the threshold
   is reached on the first day the count reaches it.
2. For a participant that deposits after the day the threshold was reached, it enters
   into force ``later_joiner_delay_days`` after its own deposit, or on the general date,
   whichever is later.
3. Unless ``reio_counts_as_additional``, an instrument of a regional economic integration
   organization (the European Union) is not counted toward the threshold, being not
   additional to those of its member States. It is still a deposit, and the treaty
   enters into force for the organization under rules 1 and 2.

A definitive signature (the depositary's "s") is consent to be bound without a later
instrument: it counts as an instrument, makes a party, and is also a signature.

Every figure counts participants, never records: a participant with an instrument
withdrawn and another deposited, or recorded twice, counts once, and no result depends on
the order of the records. A signature or instrument that was withdrawn stops counting from
the day of its withdrawal. Once the threshold was reached, the date of entry into force
stays fixed: a later withdrawal does not undo it, and nothing more is needed.

Precision. A record may be dated "on or before" (``ActionRecord.on_or_before``): it
happened on that day or earlier. Every real date is then at most the recorded one, so on
every day at least as many participants were really bound as the records say, and the
threshold was really reached on the computed day or earlier. The computed day is thus the
latest it can be; it is exact only when the earliest dates the records allow would not
reach the threshold any sooner (see ``threshold_day``). The general date of entry into
force is as precise as that day; a participant's own date, see ``entry_into_force_for``.
They remain upper bounds as long as ``later_joiner_delay_days`` is at most
``entry_into_force_delay_days``, as in the UN treaties.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple


class ActionKind(StrEnum):
    """What a participant did under a treaty."""

    SIGNATURE = "signature"
    DEFINITIVE_SIGNATURE = "definitive_signature"
    RATIFICATION = "ratification"
    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"
    ACCESSION = "accession"
    SUCCESSION = "succession"


SIGNATURE_KINDS = frozenset({ActionKind.SIGNATURE, ActionKind.DEFINITIVE_SIGNATURE})
# The instruments deposited with the depositary.
DEPOSIT_KINDS = frozenset(
    {
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
    }
)
# Consent to be bound: a deposited instrument, or a signature that binds by itself. Only
# these count toward the threshold and make a party.
CONSENT_KINDS = DEPOSIT_KINDS | {ActionKind.DEFINITIVE_SIGNATURE}


@dataclass(frozen=True)
class TreatyRule:
    """The parameters of a treaty's entry-into-force clause and signature window."""

    threshold: int
    entry_into_force_delay_days: int
    later_joiner_delay_days: int
    reio_counts_as_additional: bool = False
    signature_opens_on: date | None = None
    signature_closes_on: date | None = None


@dataclass(frozen=True)
class ActionRecord:
    """One action of one participant, as the rules need it.

    ``participant`` is any stable key (a slug or a primary key). ``withdrawn_on`` is the
    day the signature or instrument was withdrawn, if it was. ``on_or_before`` says that
    ``on`` is only the latest day the action can have been done.
    """

    participant: str
    kind: ActionKind
    on: date
    is_reio: bool = False
    withdrawn_on: date | None = None
    on_or_before: bool = False

    @property
    def is_deposit(self) -> bool:
        """Whether this is a deposited instrument (a definitive signature is not deposited)."""
        return self.kind in DEPOSIT_KINDS

    @property
    def is_signature(self) -> bool:
        return self.kind in SIGNATURE_KINDS

    @property
    def binds(self) -> bool:
        """Whether this is consent to be bound: an instrument, or a definitive signature."""
        return self.kind in CONSENT_KINDS

    def effective_on(self, day: date) -> bool:
        """Whether this action had happened, and was not withdrawn, by the end of ``day``."""
        return self.on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)


class Day(NamedTuple):
    """A computed date, and whether it is only the latest it can be ("on or before")."""

    on: date
    on_or_before: bool = False


@dataclass(frozen=True)
class Status:
    """The state of a treaty on the calendar date ``as_of``.

    ``signatories``, ``instruments_deposited`` and ``instruments_counted`` count
    participants (with a signature, an instrument, a counted instrument in effect on
    ``as_of``), not records.
    """

    as_of: date
    threshold: int
    signatories: int
    instruments_deposited: int
    instruments_counted: int
    threshold_reached_on: date | None
    entry_into_force_on: date | None
    signature_opens_on: date | None
    signature_closes_on: date | None
    # Each participant's date of entry into force, once the general date is fixed; the
    # date may still lie after ``as_of``.
    entry_into_force_for: Mapping[str, date] = field(default_factory=dict)
    # Whether ``threshold_reached_on``, and so ``entry_into_force_on``, is only the latest
    # day it can be: the real day may be earlier.
    threshold_reached_on_or_before: bool = False
    entry_into_force_on_or_before: bool = False
    # The participants whose date in ``entry_into_force_for`` is only the latest it can be.
    entry_into_force_on_or_before_for: frozenset[str] = frozenset()
    # The participants that are signatories on ``as_of``, and those with an instrument
    # (or a definitive signature) in effect.
    signed: frozenset[str] = frozenset()
    with_instrument: frozenset[str] = frozenset()

    @property
    def remaining(self) -> int:
        """Instruments still needed; none once the threshold was reached, even if a later
        withdrawal took the count below it, since the date of entry into force stays fixed."""
        if self.threshold_reached_on is not None:
            return 0
        return max(self.threshold - self.instruments_counted, 0)

    @property
    def in_force(self) -> bool:
        return self.entry_into_force_on is not None and self.entry_into_force_on <= self.as_of

    @property
    def in_force_for(self) -> dict[str, date]:
        """The participants for which the treaty is in force on ``as_of``, with their dates."""
        return {key: day for key, day in self.entry_into_force_for.items() if day <= self.as_of}

    @property
    def parties(self) -> int:
        return len(self.in_force_for)

    @property
    def signature_open(self) -> bool:
        opened = self.signature_opens_on is None or self.signature_opens_on <= self.as_of
        not_closed = self.signature_closes_on is None or self.as_of <= self.signature_closes_on
        return opened and not_closed

    @property
    def days_until_signature_closes(self) -> int | None:
        """Days left to sign (0 on the last day); None once closed or with no deadline."""
        if self.signature_closes_on is None or self.as_of > self.signature_closes_on:
            return None
        return (self.signature_closes_on - self.as_of).days

    @property
    def days_until_entry_into_force(self) -> int | None:
        """Days until the treaty enters into force (0 once in force); None until fixed."""
        if self.entry_into_force_on is None:
            return None
        return max((self.entry_into_force_on - self.as_of).days, 0)


def counts_toward_threshold(rule: TreatyRule, action: ActionRecord) -> bool:
    """Whether an action counts toward the threshold under the treaty's rule: consent to be
    bound, unless it is a regional organization's and the treaty does not count those."""
    return action.binds and (rule.reio_counts_as_additional or not action.is_reio)


def daily_totals(actions: Iterable[ActionRecord], until: date) -> list[tuple[date, int]]:
    """How many participants had one of ``actions`` in effect at the end of each day on
    which one took effect or was withdrawn, up to ``until``, in date order.

    A participant counts once however many of its records are in effect (an instrument
    withdrawn and another deposited, or the same one recorded twice): changes are summed
    per participant and the total read at the end of each day, so order does not matter.
    """
    changes: dict[date, list[tuple[str, int]]] = {}
    for action in actions:
        if action.on > until or (action.withdrawn_on is not None and action.withdrawn_on <= action.on):
            continue  # not yet, or never in effect at the end of a day
        changes.setdefault(action.on, []).append((action.participant, 1))
        if action.withdrawn_on is not None and action.withdrawn_on <= until:
            changes.setdefault(action.withdrawn_on, []).append((action.participant, -1))
    in_effect: dict[str, int] = {}
    total, totals = 0, []
    for day in sorted(changes):
        for participant, change in changes[day]:
            before = in_effect.get(participant, 0)
            in_effect[participant] = before + change
            total += (before + change > 0) - (before > 0)  # a participant is in or out, once
        totals.append((day, total))
    return totals


def threshold_reached_on(rule: TreatyRule, actions: Iterable[ActionRecord], as_of: date) -> date | None:
    """The first day, on or before ``as_of``, at the end of which at least ``threshold``
    participants had a counted instrument in effect, from the dates as recorded."""
    counted = [action for action in actions if counts_toward_threshold(rule, action)]
    return next((day for day, total in daily_totals(counted, as_of) if total >= rule.threshold), None)


def as_early_as_possible(actions: Iterable[ActionRecord]) -> list[ActionRecord]:
    """The records with each "on or before" date moved to the earliest it can have been.

    Nothing here bounds such a date from below (the rule does not carry the treaty's
    adoption), so it may be any earlier day: ``date.min`` stands for all of them.
    """
    return [replace(action, on=date.min) if action.on_or_before else action for action in actions]


def threshold_day(rule: TreatyRule, actions: Iterable[ActionRecord], as_of: date) -> Day | None:
    """The day the threshold was reached, if it was by ``as_of``, with its precision.

    From the recorded dates it is the latest day the threshold can have been reached. It is
    exact when, with every "on or before" record as early as it can be, the threshold is
    still not reached before it; otherwise the real day may be earlier and it is "on or
    before". That an on-or-before record counted is not enough: when the instrument that
    completed the count is exactly dated, moving the others earlier changes nothing; and
    an on-or-before record dated after that day may still have come before it. Records
    dated after ``as_of`` are left out, like everywhere else in the status of that day.
    """
    known = [action for action in actions if action.on <= as_of]
    latest = threshold_reached_on(rule, known, as_of)
    if latest is None:
        return None
    earliest = threshold_reached_on(rule, as_early_as_possible(known), as_of)
    return Day(latest, earliest is not None and earliest < latest)


def joined_on(instruments: Iterable[ActionRecord]) -> Day:
    """Since when a participant has been bound by its instruments in effect: the earliest.

    The earliest, not the last listed, so that the order of the records does not matter.
    It is "on or before" if any of them is, since its real date may precede all others.
    """
    instruments = list(instruments)
    return Day(min(action.on for action in instruments), any(action.on_or_before for action in instruments))


def entry_into_force_for(rule: TreatyRule, joined: Day, reached: Day) -> Day:
    """The day the treaty enters into force for a participant bound since ``joined``, the
    threshold having been reached on ``reached``.

    Bound on or before the threshold day: the general date. After it: the later of
    ``later_joiner_delay_days`` after its own instrument and the general date.

    Both terms are upper bounds of the real ones, so the real date is at most the result,
    and at least any exact term: the result is exact when a term equal to it is exact, and
    "on or before" only when every term equal to it is. (Bound on or before an exact
    threshold day, it is the general date however early its instrument really was; bound
    later with an exact date, it was bound after the real threshold day too.)
    """
    general = Day(reached.on + timedelta(days=rule.entry_into_force_delay_days), reached.on_or_before)
    if joined.on <= reached.on:
        return general
    own = Day(joined.on + timedelta(days=rule.later_joiner_delay_days), joined.on_or_before)
    if own.on == general.on:
        return Day(own.on, own.on_or_before and general.on_or_before)
    return max(own, general)  # the days differ, so this compares the days


def instruments_in_effect(actions: Iterable[ActionRecord], day: date) -> dict[str, list[ActionRecord]]:
    """Each participant's instruments (definitive signatures included) in effect on ``day``."""
    found: dict[str, list[ActionRecord]] = {}
    for action in actions:
        if action.binds and action.effective_on(day):
            found.setdefault(action.participant, []).append(action)
    return found


def participant_dates(
    rule: TreatyRule, instruments: Mapping[str, list[ActionRecord]], reached: Day | None
) -> dict[str, Day]:
    """Each bound participant's date of entry into force, by key; none before the threshold."""
    if reached is None:
        return {}
    return {
        key: entry_into_force_for(rule, joined_on(held), reached) for key, held in sorted(instruments.items())
    }


def status_as_of(rule: TreatyRule, actions: Iterable[ActionRecord], as_of: date) -> Status:
    """Compute the status of a treaty on ``as_of`` from its rule and all its actions.

    Actions dated after ``as_of`` are ignored, so the same records answer for any day.
    """
    actions = [action for action in actions if action.on <= as_of]
    signed = {a.participant for a in actions if a.is_signature and a.effective_on(as_of)}
    instruments = instruments_in_effect(actions, as_of)
    counted = {key for key, held in instruments.items() if any(counts_toward_threshold(rule, a) for a in held)}
    reached = threshold_day(rule, actions, as_of)
    dates = participant_dates(rule, instruments, reached)
    uncertain = bool(reached and reached.on_or_before)
    delay = timedelta(days=rule.entry_into_force_delay_days)
    return Status(
        as_of=as_of,
        threshold=rule.threshold,
        signatories=len(signed),
        instruments_deposited=len(instruments),
        instruments_counted=len(counted),
        threshold_reached_on=reached.on if reached else None,
        entry_into_force_on=reached.on + delay if reached else None,
        signature_opens_on=rule.signature_opens_on,
        signature_closes_on=rule.signature_closes_on,
        entry_into_force_for={key: day.on for key, day in dates.items()},
        threshold_reached_on_or_before=uncertain,
        entry_into_force_on_or_before=uncertain,
        entry_into_force_on_or_before_for=frozenset(key for key, day in dates.items() if day.on_or_before),
        signed=frozenset(signed),
        with_instrument=frozenset(instruments),
    )


@dataclass(frozen=True)
class TimelinePoint:
    """The counts at the end of a day on which something happened."""

    day: date
    signatories: int
    instruments_counted: int


def timeline(rule: TreatyRule, actions: Iterable[ActionRecord], until: date) -> list[TimelinePoint]:
    """Signatories and counted instruments (participants, as in the status) at the end of
    each day on which an action or a withdrawal happened, up to ``until``."""
    actions = [action for action in actions if action.on <= until]
    signed = dict(daily_totals([a for a in actions if a.is_signature], until))
    counted = dict(daily_totals([a for a in actions if counts_toward_threshold(rule, a)], until))
    withdrawals = {a.withdrawn_on for a in actions if a.withdrawn_on and a.withdrawn_on <= until}
    days = {a.on for a in actions} | withdrawals
    points, signatories, instruments = [], 0, 0
    for day in sorted(days):
        # A day on which neither count changed (the EU's deposit, say) keeps the last ones.
        signatories, instruments = signed.get(day, signatories), counted.get(day, instruments)
        points.append(TimelinePoint(day, signatories, instruments))
    return points


class ParticipantStatus(StrEnum):
    """Where one participant stands on a date, from least to most advanced."""

    NOT_SIGNED = "not_signed"
    SIGNED = "signed"
    DEPOSITED = "deposited"
    IN_FORCE = "in_force"


def participant_status(status: Status, participant: str, signed: bool, deposited: bool) -> ParticipantStatus:
    """One participant's standing, given the treaty's status on the same date.

    ``deposited`` means an instrument (or a definitive signature) in effect on that date:
    ``participant in status.with_instrument``; ``signed``, ``participant in status.signed``.
    """
    if participant in status.in_force_for:
        return ParticipantStatus.IN_FORCE
    if deposited:
        return ParticipantStatus.DEPOSITED
    return ParticipantStatus.SIGNED if signed else ParticipantStatus.NOT_SIGNED
