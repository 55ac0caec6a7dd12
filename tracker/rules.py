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

A deposit that was withdrawn stops counting from the day of its withdrawal. Once the
threshold was reached, the date of entry into force stays fixed: a later withdrawal does
not undo it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


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
# Only these instruments count toward the threshold.
DEPOSIT_KINDS = frozenset(
    {
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
    }
)


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
    day a deposited instrument was withdrawn, if it was.
    """

    participant: str
    kind: ActionKind
    on: date
    is_reio: bool = False
    withdrawn_on: date | None = None

    @property
    def is_deposit(self) -> bool:
        return self.kind in DEPOSIT_KINDS

    @property
    def is_signature(self) -> bool:
        return self.kind in SIGNATURE_KINDS

    def effective_on(self, day: date) -> bool:
        """Whether this action had happened, and was not withdrawn, by ``day``."""
        return self.on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)


@dataclass(frozen=True)
class Status:
    """The state of a treaty on the calendar date ``as_of``."""

    as_of: date
    threshold: int
    signatories: int
    instruments_deposited: int
    instruments_counted: int
    threshold_reached_on: date | None
    entry_into_force_on: date | None
    signature_opens_on: date | None
    signature_closes_on: date | None
    # Each depositor's date of entry into force, once the general date is fixed; the
    # date may still lie after ``as_of``.
    entry_into_force_for: Mapping[str, date] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
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
    """Whether a deposit counts toward the threshold under the treaty's rule."""
    return action.is_deposit and (rule.reio_counts_as_additional or not action.is_reio)


def threshold_reached_on(rule: TreatyRule, actions: Iterable[ActionRecord], as_of: date) -> date | None:
    """The first day, on or before ``as_of``, on which the counted instruments reached the threshold."""
    changes: dict[date, int] = {}
    for action in actions:
        if not counts_toward_threshold(rule, action) or action.on > as_of:
            continue
        changes[action.on] = changes.get(action.on, 0) + 1
        if action.withdrawn_on is not None and action.withdrawn_on <= as_of:
            changes[action.withdrawn_on] = changes.get(action.withdrawn_on, 0) - 1
    count = 0
    for day in sorted(changes):
        count += changes[day]
        if count >= rule.threshold:
            return day
    return None


def entry_into_force_dates(
    rule: TreatyRule, deposits: Iterable[ActionRecord], reached_on: date
) -> dict[str, date]:
    """Each depositor's date of entry into force, given the day the threshold was reached."""
    general = reached_on + timedelta(days=rule.entry_into_force_delay_days)
    later = timedelta(days=rule.later_joiner_delay_days)
    return {
        deposit.participant: general if deposit.on <= reached_on else max(deposit.on + later, general)
        for deposit in deposits
    }


def status_as_of(rule: TreatyRule, actions: Iterable[ActionRecord], as_of: date) -> Status:
    """Compute the status of a treaty on ``as_of`` from its rule and all its actions.

    Actions dated after ``as_of`` are ignored, so the same records answer for any day.
    """
    actions = list(actions)
    signed = {a.participant for a in actions if a.is_signature and a.on <= as_of}
    deposits = [a for a in actions if a.is_deposit and a.effective_on(as_of)]
    counted = [a for a in deposits if counts_toward_threshold(rule, a)]
    reached_on = threshold_reached_on(rule, actions, as_of)
    dates = entry_into_force_dates(rule, deposits, reached_on) if reached_on else {}
    return Status(
        as_of=as_of,
        threshold=rule.threshold,
        signatories=len(signed),
        instruments_deposited=len(deposits),
        instruments_counted=len({a.participant for a in counted}),
        threshold_reached_on=reached_on,
        entry_into_force_on=(
            reached_on + timedelta(days=rule.entry_into_force_delay_days) if reached_on else None
        ),
        signature_opens_on=rule.signature_opens_on,
        signature_closes_on=rule.signature_closes_on,
        entry_into_force_for=dates,
    )


@dataclass(frozen=True)
class TimelinePoint:
    """The counts at the end of a day on which something happened."""

    day: date
    signatories: int
    instruments_counted: int


def timeline(rule: TreatyRule, actions: Iterable[ActionRecord], until: date) -> list[TimelinePoint]:
    """Cumulative signatories and counted instruments on each day an action (or a
    withdrawal) changed them, up to ``until``."""
    actions = list(actions)
    days = {a.on for a in actions if a.on <= until}
    days |= {a.withdrawn_on for a in actions if a.withdrawn_on and a.withdrawn_on <= until}
    points = []
    for day in sorted(days):
        signed = {a.participant for a in actions if a.is_signature and a.on <= day}
        counted = {a.participant for a in actions if counts_toward_threshold(rule, a) and a.effective_on(day)}
        points.append(TimelinePoint(day, len(signed), len(counted)))
    return points


class ParticipantStatus(StrEnum):
    """Where one participant stands on a date, from least to most advanced."""

    NOT_SIGNED = "not_signed"
    SIGNED = "signed"
    DEPOSITED = "deposited"
    IN_FORCE = "in_force"


def participant_status(status: Status, participant: str, signed: bool, deposited: bool) -> ParticipantStatus:
    """One participant's standing, given the treaty's status on the same date."""
    if participant in status.in_force_for:
        return ParticipantStatus.IN_FORCE
    if deposited:
        return ParticipantStatus.DEPOSITED
    return ParticipantStatus.SIGNED if signed else ParticipantStatus.NOT_SIGNED
