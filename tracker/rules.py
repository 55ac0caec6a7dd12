"""The entry-into-force rules of a treaty, as pure functions of plain data and a date.

Nothing here imports Django: the models adapt their rows to ``TreatyRule`` and
``ActionRecord`` and ask ``status_as_of`` what the state of a treaty was, or will be, on a
given calendar date. Every page, API response, command and alert computes from here, so
that they all agree.

The rule follows the final clauses of the UN treaties (the Hanoi Convention, art. 65;
UNCAC, art. 68; the Ottawa Convention, art. 17; the CWC, art. XXI; the CTBT, art. XIV; …):

1. The threshold is reached on the first day at the end of which ``threshold``
   participants have an instrument of ratification, acceptance, approval, accession,
   succession, formal confirmation or consent to be bound (or a definitive signature) in
   effect, counted as in rule 4. Several deposits on one day count together. When the rule
   ``requires`` some participants (the 44 States of the CTBT's Annex 2), it is reached only
   on a day on which, besides, every one of them has a counted instrument in effect: one
   missing, it is never reached, however many others deposit.
2. The general date of entry into force is ``delay`` after the threshold day (see
   ``Delay``): a number of days ("the 90th day after": ``90d``; "on the deposit": ``0d``), or
   of calendar months ("three months after": ``3m``), optionally moved to the first day of
   that month ("the first day of the sixth month after the month in which…":
   ``6m,first-of-month``) or of the next one ("the first day of the month following a
   period of three months after…": ``3m,first-of-next-month``). It is never earlier than
   ``not_before`` ("in no case earlier than two years after its opening for signature").
   An optional protocol (``subject_to``) never enters into force before its convention:
   its general date is at the earliest the convention's, ``subject_to_on``, and it has none
   while the convention has none.
3. For a participant bound on or before the threshold day, the treaty enters into force on
   the general date. For one bound later, ``later_delay`` (by default ``delay``) after its
   own instrument, or on the general date, whichever is later.
4. Unless ``reio_counts_as_additional``, an instrument of a regional economic integration
   organization (the European Union) is not counted toward the threshold, being not
   additional to those of its member States. It is still a deposit, and the treaty
   enters into force for the organization under rule 3.

A definitive signature (the depositary's "s") is consent to be bound without a later
instrument: it counts as an instrument, makes a party, and is also a signature.

With no rule at all (``rule=None``: a treaty whose clause is not known yet), the counts are
still computed, a regional organization's instruments not counted, but there is no
threshold and no date of entry into force.

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
force is as precise as that day, unless ``not_before`` or ``subject_to_on`` fixes it; a
participant's own date, see ``entry_into_force_for``. Every delay is monotone (a later
start never ends earlier), so the dates computed from upper bounds are upper bounds. They
remain so as long as ``later_delay`` never ends after ``delay`` from the same day, as in
the UN treaties.
"""

import calendar
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import MAXYEAR, date, timedelta
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
    FORMAL_CONFIRMATION = "formal_confirmation"  # the depositary's "c": the EU under the CRPD
    CONSENT_TO_BE_BOUND = "consent_to_be_bound"  # "P": the CCW's protocols


SIGNATURE_KINDS = frozenset({ActionKind.SIGNATURE, ActionKind.DEFINITIVE_SIGNATURE})
# The instruments deposited with the depositary.
DEPOSIT_KINDS = frozenset(
    {
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
        ActionKind.FORMAL_CONFIRMATION,
        ActionKind.CONSENT_TO_BE_BOUND,
    }
)
# Consent to be bound: a deposited instrument, or a signature that binds by itself. Only
# these count toward the threshold and make a party.
CONSENT_KINDS = DEPOSIT_KINDS | {ActionKind.DEFINITIVE_SIGNATURE}


DAYS, MONTHS = "d", "m"
FIRST_OF_MONTH, FIRST_OF_NEXT_MONTH = "first-of-month", "first-of-next-month"
UNITS = (DAYS, MONTHS)
SNAPS = ("", FIRST_OF_MONTH, FIRST_OF_NEXT_MONTH)
# The longest delays that fit in the calendar at all: from 1 January 1 to 31 December 9999.
MAX_AMOUNT = {DAYS: (date.max - date.min).days, MONTHS: MAXYEAR * 12 - 1}
DELAY_FORMS = (
    'accepted forms: "<N>d" (N days) or "<N>m" (N calendar months), N a whole number from 0, '
    'optionally followed by ",first-of-month" or ",first-of-next-month"; '
    'for example "90d", "0d", "3m", "6m,first-of-month", "3m,first-of-next-month"'
)


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months later, on the same day of the month or, if
    that month is shorter, on its last day (31 January + 1 month = 28 or 29 February).
    Raises OverflowError beyond 31 December 9999."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if year > MAXYEAR:
        raise OverflowError("date value out of range")
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Delay:
    """A delay of entry into force: N days, or N calendar months, after a date, optionally
    moved to the first day of that month or of the next month.

    ``after`` adds the days (``90d``: the 90th day after; ``0d``: the day itself), or the
    calendar months (``3m``: the same day of the month three months later, or that month's
    last day if it is shorter), then applies ``snap``:

    - ``first-of-month``: the first day of the month the delay ends in. Ottawa, art. 17(1),
      "the first day of the sixth month after the month in which the 40th instrument…has
      been deposited": 16 Sep 1998 + ``6m,first-of-month`` = 1 Mar 1999.
    - ``first-of-next-month``: the first day of the month after the one the delay ends in,
      even when it ends on a first. Migrant Workers, art. 87(1), "the first day of the
      month following a period of three months after the date of the deposit":
      14 Mar 2003 + ``3m,first-of-next-month`` = 1 Jul 2003.

    ``first-of-month`` gives a day before the end of the delay (before the start itself
    with a delay shorter than a month: ``0m,first-of-month``). Every delay is monotone: a
    later start never gives an earlier date.

    Beyond the calendar: a date past 31 December 9999 (only a start in the last months or
    years of 9999 can give one) is capped to 31 December 9999, ``date.max``, which the
    tracker reads as "not in this calendar". ``after`` thus never raises, stays monotone,
    and a status can be computed from any records. The amount itself is bounded when the
    delay is made: at most what fits in the calendar at all (``MAX_AMOUNT``).
    """

    amount: int
    unit: str  # "d" or "m"
    snap: str = ""  # "", "first-of-month" or "first-of-next-month"

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"a delay's amount is a whole number, not {self.amount!r}")
        if self.unit not in UNITS:
            raise ValueError(f'unknown unit {self.unit!r} of a delay: "d" (days) or "m" (months)')
        if self.amount < 0:
            raise ValueError(f"a delay cannot be negative ({self.amount}{self.unit}); {DELAY_FORMS}")
        if self.amount > MAX_AMOUNT[self.unit]:
            longest = MAX_AMOUNT[self.unit]
            raise ValueError(
                f"the delay {self.amount}{self.unit} is too long: no calendar date lies that far "
                f"after another (at most {longest}{self.unit})"
            )
        if self.snap not in SNAPS:
            raise ValueError(
                f'unknown snap {self.snap!r} of a delay: "{FIRST_OF_MONTH}", "{FIRST_OF_NEXT_MONTH}" or none'
            )

    @classmethod
    def parse(cls, spec: str) -> "Delay":
        """The delay a spec such as "90d", "0d", "3m", "6m,first-of-month" or
        "3m,first-of-next-month" describes (spaces around its parts are allowed).

        Raises ValueError naming the part that is wrong and the accepted forms."""
        if not isinstance(spec, str):
            raise TypeError(f"a delay spec is a string, not {spec!r}")
        if not spec.strip():
            raise ValueError(f"empty delay spec; {DELAY_FORMS}")
        parts = [part.strip() for part in spec.split(",")]
        if len(parts) > 2:
            raise ValueError(f"delay spec {spec!r} has more than one comma; {DELAY_FORMS}")
        length, snap = parts[0], parts[1] if len(parts) == 2 else ""
        found = re.fullmatch(r"([0-9]+)([dm])", length)
        if found is None:
            raise ValueError(f"delay spec {spec!r}: {length_problem(length)}; {DELAY_FORMS}")
        if len(parts) == 2 and snap not in (FIRST_OF_MONTH, FIRST_OF_NEXT_MONTH):
            what = "nothing after the comma" if not snap else f"unknown snap {snap!r}"
            raise ValueError(f"delay spec {spec!r}: {what}; {DELAY_FORMS}")
        amount, unit = int(found.group(1)), found.group(2)
        if amount > MAX_AMOUNT[unit]:
            raise ValueError(
                f"delay spec {spec!r}: {amount}{unit} is too long, no calendar date lies that far "
                f"after another (at most {MAX_AMOUNT[unit]}{unit})"
            )
        return cls(amount, unit, snap)

    @classmethod
    def days(cls, n: int) -> "Delay":
        """N days: ``Delay(n, "d")``."""
        return cls(n, DAYS)

    @classmethod
    def months(cls, n: int, snap: str = "") -> "Delay":
        """N calendar months, optionally snapped: ``Delay(n, "m", snap)``."""
        return cls(n, MONTHS, snap)

    def after(self, day: date) -> date:
        """The day this delay after ``day`` ends on; 31 December 9999 if past the calendar."""
        try:
            if self.unit == DAYS:
                end = day + timedelta(days=self.amount)
            else:
                end = add_months(day, self.amount)
            if self.snap == FIRST_OF_MONTH:
                end = end.replace(day=1)
            elif self.snap == FIRST_OF_NEXT_MONTH:
                end = add_months(end.replace(day=1), 1)
        except OverflowError:
            return date.max
        return end

    def __str__(self) -> str:
        """The spec back: ``Delay.parse(str(delay)) == delay``."""
        return f"{self.amount}{self.unit}" + (f",{self.snap}" if self.snap else "")


def length_problem(length: str) -> str:
    """What is wrong with the length part of a delay spec (the part before any comma)."""
    if not length:
        return "no length before the comma"
    if re.fullmatch(r"[0-9]+", length):
        return f'the length {length!r} has no unit: "d" (days) or "m" (months)'
    if length in UNITS:
        return f"the length {length!r} has no number"
    if re.fullmatch(r"-[0-9]+[dm]?", length):
        return f"the length {length!r} is negative"
    if re.fullmatch(r"-?[0-9]*[.][0-9]+[dm]?", length):
        return f"the length {length!r} is not a whole number of days or months"
    unit = re.fullmatch(r"[0-9]+(.+)", length)
    if unit:
        return f'unknown unit {unit.group(1)!r} in {length!r}: "d" (days) or "m" (months)'
    return f"{length!r} is not a length"


@dataclass(frozen=True)
class TreatyRule:
    """The parameters of a treaty's entry-into-force clause and signature window (see the
    module's docstring for what each means)."""

    threshold: int
    delay: Delay  # general entry into force after the threshold-th instrument
    later_delay: Delay | None = None  # for a participant bound after the threshold day; None: ``delay``
    reio_counts_as_additional: bool = False
    signature_opens_on: date | None = None
    signature_closes_on: date | None = None
    not_before: date | None = None  # the general date is never earlier (CWC: 13 Jan 1995)
    subject_to: bool = False  # an optional protocol: never in force before its convention…
    subject_to_on: date | None = None  # …whose general date this is (None: the convention has none yet)
    # Participant keys whose consent is all needed besides the threshold (CTBT's Annex 2).
    requires: frozenset[str] = frozenset()
    # Whether ``later_delay`` is for those bound after the general date of entry into force
    # (CWC art. XXI(2), CRC-OP-AC art. 10(2): "after its entry into force"), the others
    # entering into force on the general date; by default, for those bound after the
    # threshold day (the Hanoi Convention, art. 65(2)).
    later_after_entry_into_force: bool = False

    def __post_init__(self):
        for name in ("delay", "later_delay"):
            value = getattr(self, name)
            if not isinstance(value, Delay) and not (name == "later_delay" and value is None):
                raise TypeError(
                    f"TreatyRule.{name} is a Delay (Delay.parse('90d'), Delay.days(90)), not {value!r}"
                )
        if isinstance(self.requires, str):
            raise TypeError("TreatyRule.requires is a set of participant keys, not one string")
        if not isinstance(self.requires, frozenset):
            object.__setattr__(self, "requires", frozenset(self.requires))

    @property
    def joiner_delay(self) -> Delay:
        """The delay for a participant bound after the threshold day."""
        return self.delay if self.later_delay is None else self.later_delay


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
    ``as_of``), not records. With no rule, ``threshold`` is None, and so are the dates.
    """

    as_of: date
    threshold: int | None
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
    # Set by the adapter (tracker.selectors), not by ``status_as_of``: the depositary's
    # stated date of entry into force, and the date the rule computes from the records,
    # when the stated one stands for ``entry_into_force_on``.
    entry_into_force_stated_on: date | None = None
    entry_into_force_computed_on: date | None = None

    @property
    def remaining(self) -> int | None:
        """Instruments still needed; none once the threshold was reached, even if a later
        withdrawal took the count below it, since the date of entry into force stays fixed.
        None with no rule (no threshold). It counts toward ``threshold`` only: a rule that
        ``requires`` participants may need theirs even when it is 0."""
        if self.threshold is None:
            return None
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


def counts_toward_threshold(rule: TreatyRule | None, action: ActionRecord) -> bool:
    """Whether an action counts toward the threshold under the treaty's rule: consent to be
    bound, unless it is a regional organization's and the treaty does not count those (with
    no rule, they are not counted)."""
    reio_counts = rule is not None and rule.reio_counts_as_additional
    return action.binds and (reio_counts or not action.is_reio)


def daily_totals(actions: Iterable[ActionRecord], until: date) -> list[tuple[date, int]]:
    """How many participants had one of ``actions`` in effect at the end of each day on
    which one took effect or was withdrawn, up to ``until``, in date order.

    A participant counts once however many of its records are in effect (an instrument
    withdrawn and another deposited, or the same one recorded twice): changes are summed
    per participant and the total read at the end of each day, so order does not matter.
    """
    return [(day, total) for day, total, _ in days_in_effect(actions, until)]


def days_in_effect(
    actions: Iterable[ActionRecord], until: date
) -> Iterator[tuple[date, int, Mapping[str, int]]]:
    """For each day as in ``daily_totals``: the day, the total, and how many records of each
    participant are in effect at its end (a participant is in effect when above 0). The
    mapping is the one being updated: read it before asking for the next day."""
    changes: dict[date, list[tuple[str, int]]] = {}
    for action in actions:
        if action.on > until or (action.withdrawn_on is not None and action.withdrawn_on <= action.on):
            continue  # not yet, or never in effect at the end of a day
        changes.setdefault(action.on, []).append((action.participant, 1))
        if action.withdrawn_on is not None and action.withdrawn_on <= until:
            changes.setdefault(action.withdrawn_on, []).append((action.participant, -1))
    in_effect: dict[str, int] = {}
    total = 0
    for day in sorted(changes):
        for participant, change in changes[day]:
            before = in_effect.get(participant, 0)
            in_effect[participant] = before + change
            total += (before + change > 0) - (before > 0)  # a participant is in or out, once
        yield day, total, in_effect


def threshold_reached_on(
    rule: TreatyRule | None, actions: Iterable[ActionRecord], as_of: date
) -> date | None:
    """The first day, on or before ``as_of``, at the end of which at least ``threshold``
    participants had a counted instrument in effect and, besides, every participant the
    rule ``requires`` had one, from the dates as recorded. None with no rule."""
    if rule is None:
        return None
    counted = [action for action in actions if counts_toward_threshold(rule, action)]
    for day, total, in_effect in days_in_effect(counted, as_of):
        if total >= rule.threshold and all(in_effect.get(key, 0) > 0 for key in rule.requires):
            return day
    return None


def as_early_as_possible(actions: Iterable[ActionRecord]) -> list[ActionRecord]:
    """The records with each "on or before" date moved to the earliest it can have been.

    Nothing here bounds such a date from below (the rule does not carry the treaty's
    adoption), so it may be any earlier day: ``date.min`` stands for all of them.
    """
    return [replace(action, on=date.min) if action.on_or_before else action for action in actions]


def threshold_day(rule: TreatyRule | None, actions: Iterable[ActionRecord], as_of: date) -> Day | None:
    """The day the threshold was reached, if it was by ``as_of``, with its precision.

    From the recorded dates it is the latest day the threshold can have been reached. It is
    exact when, with every "on or before" record as early as it can be, the threshold is
    still not reached before it; otherwise the real day may be earlier and it is "on or
    before". That an on-or-before record counted is not enough: when the instrument that
    completed the count is exactly dated, moving the others earlier changes nothing; and
    an on-or-before record dated after that day may still have come before it. Records
    dated after ``as_of`` are left out, like everywhere else in the status of that day.

    The same holds with ``requires``: moving records earlier only adds participants in
    effect on each day, so the condition holds on the same days or more.
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


def general_entry_into_force(rule: TreatyRule, reached: Day) -> Day | None:
    """The general date of entry into force, the threshold having been reached on ``reached``:
    ``delay`` after it, but never before ``not_before`` nor, for a protocol ``subject_to``
    its convention, before the convention's date; none while the convention has none.

    The delay after an "on or before" day is only an upper bound; when a fixed date is at
    least as late, the general date is that date, exactly (the real one lies between it and
    the upper bound, which it is not below).
    """
    if rule.subject_to and rule.subject_to_on is None:
        return None
    computed = Day(rule.delay.after(reached.on), reached.on_or_before)
    floors = [rule.not_before, rule.subject_to_on if rule.subject_to else None]
    floor = max((day for day in floors if day is not None), default=None)
    if floor is None or computed.on > floor:
        return computed
    return Day(floor)


def entry_into_force_for(rule: TreatyRule, joined: Day, reached: Day) -> Day | None:
    """The day the treaty enters into force for a participant bound since ``joined``, the
    threshold having been reached on ``reached``; None while there is no general date (a
    protocol whose convention is not in force).

    Bound on or before the threshold day (with ``later_after_entry_into_force``, on or
    before the general date): the general date. After it: the later of ``later_delay`` (by
    default ``delay``) after its own instrument and the general date.

    Both terms are upper bounds of the real ones, so the real date is at most the result,
    and at least any exact term: the result is exact when a term equal to it is exact, and
    "on or before" only when every term equal to it is. (Bound on or before an exact
    threshold day, it is the general date however early its instrument really was; bound
    later with an exact date, it was bound after the real threshold day too.)
    """
    general = general_entry_into_force(rule, reached)
    original = general.on if general is not None and rule.later_after_entry_into_force else reached.on
    if general is None or joined.on <= original:
        return general
    own = Day(rule.joiner_delay.after(joined.on), joined.on_or_before)
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
    rule: TreatyRule | None, instruments: Mapping[str, list[ActionRecord]], reached: Day | None
) -> dict[str, Day]:
    """Each bound participant's date of entry into force, by key; none before the threshold,
    nor while there is no general date."""
    if rule is None or reached is None:
        return {}
    held_by = sorted(instruments.items())  # by key, whatever the order of the records
    dates = {key: entry_into_force_for(rule, joined_on(held), reached) for key, held in held_by}
    return {key: day for key, day in dates.items() if day is not None}


def status_as_of(rule: TreatyRule | None, actions: Iterable[ActionRecord], as_of: date) -> Status:
    """Compute the status of a treaty on ``as_of`` from its rule and all its actions.

    Actions dated after ``as_of`` are ignored, so the same records answer for any day. With
    no rule, the counts are computed (a regional organization's instruments not counted),
    and there is no threshold nor any date of entry into force.
    """
    actions = [action for action in actions if action.on <= as_of]
    signed = {a.participant for a in actions if a.is_signature and a.effective_on(as_of)}
    instruments = instruments_in_effect(actions, as_of)
    counted = {key for key, held in instruments.items() if any(counts_toward_threshold(rule, a) for a in held)}
    reached = threshold_day(rule, actions, as_of)
    general = general_entry_into_force(rule, reached) if rule is not None and reached is not None else None
    dates = participant_dates(rule, instruments, reached)
    return Status(
        as_of=as_of,
        threshold=rule.threshold if rule is not None else None,
        signatories=len(signed),
        instruments_deposited=len(instruments),
        instruments_counted=len(counted),
        threshold_reached_on=reached.on if reached else None,
        entry_into_force_on=general.on if general else None,
        signature_opens_on=rule.signature_opens_on if rule is not None else None,
        signature_closes_on=rule.signature_closes_on if rule is not None else None,
        entry_into_force_for={key: day.on for key, day in dates.items()},
        threshold_reached_on_or_before=bool(reached and reached.on_or_before),
        entry_into_force_on_or_before=bool(general and general.on_or_before),
        entry_into_force_on_or_before_for=frozenset(key for key, day in dates.items() if day.on_or_before),
        signed=frozenset(signed),
        with_instrument=frozenset(instruments),
    )


def unchanged_span(
    actions: Iterable[ActionRecord], status: Status, also: Iterable[date | None] = ()
) -> tuple[date, date | None]:
    """The days around ``status.as_of`` on which ``status_as_of`` gives the same status but
    for ``as_of`` and what derives from it (``in_force``, the days left…): from the first
    day to the day before the second, None when nothing is due to change.

    A status changes only on a day an action is dated or withdrawn (records dated later are
    left out until then), or on a participant's date of entry into force (``parties``).
    Between two such days the instruments in effect are the same, and so are those dates.
    ``also`` adds days the caller's own reading depends on (a stated date, say).
    """
    day = status.as_of
    points = {action.on for action in actions}
    points |= {action.withdrawn_on for action in actions if action.withdrawn_on is not None}
    points |= set(status.entry_into_force_for.values())
    points |= {point for point in also if point is not None}
    starts = max((point for point in points if point <= day), default=date.min)
    ends = min((point for point in points if point > day), default=None)
    return starts, ends


@dataclass(frozen=True)
class TimelinePoint:
    """The counts at the end of a day on which something happened."""

    day: date
    signatories: int
    instruments_counted: int


def timeline(rule: TreatyRule | None, actions: Iterable[ActionRecord], until: date) -> list[TimelinePoint]:
    """Signatories and counted instruments (participants, as in the status) at the end of
    each day on which an action or a withdrawal happened, up to ``until``. With no rule, a
    regional organization's instruments are not counted."""
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
    # Its own date, not ``in_force_for``: that builds a dict of every participant, once
    # for each of them when a table asks for all.
    in_force_on = status.entry_into_force_for.get(participant)
    if in_force_on is not None and in_force_on <= status.as_of:
        return ParticipantStatus.IN_FORCE
    if deposited:
        return ParticipantStatus.DEPOSITED
    return ParticipantStatus.SIGNED if signed else ParticipantStatus.NOT_SIGNED
