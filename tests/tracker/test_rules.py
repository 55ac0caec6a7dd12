"""The entry-into-force rules, as tables of cases. No database: tracker.rules is pure."""

import random
from datetime import date, timedelta

import pytest

from tracker.rules import (
    ActionKind,
    ActionRecord,
    Delay,
    ParticipantStatus,
    TreatyRule,
    participant_status,
    status_as_of,
    timeline,
)

D = date.fromisoformat
OPENS, CLOSES = D("2025-10-25"), D("2026-12-31")
# A small threshold keeps the tables readable; the arithmetic is the same for 40.
RULE = TreatyRule(
    threshold=3,
    delay=Delay.days(90),
    later_delay=Delay.days(30),
    reio_counts_as_additional=False,
    signature_opens_on=OPENS,
    signature_closes_on=CLOSES,
)
HANOI = TreatyRule(40, Delay.days(90), Delay.days(30), False, OPENS, CLOSES)


def deposit(
    who: str, on: str, kind=ActionKind.RATIFICATION, reio=False, withdrawn=None, on_or_before=False
) -> ActionRecord:
    return ActionRecord(
        who, kind, D(on), is_reio=reio, withdrawn_on=D(withdrawn) if withdrawn else None, on_or_before=on_or_before
    )


def sign(who: str, on: str, kind=ActionKind.SIGNATURE, withdrawn=None) -> ActionRecord:
    return ActionRecord(who, kind, D(on), withdrawn_on=D(withdrawn) if withdrawn else None)


def definitive(who: str, on: str, withdrawn=None, on_or_before=False) -> ActionRecord:
    """A definitive signature: consent to be bound by signing (the depositary's "s")."""
    return deposit(who, on, ActionKind.DEFINITIVE_SIGNATURE, withdrawn=withdrawn, on_or_before=on_or_before)


def about(who: str, on: str, **details) -> ActionRecord:
    """A deposit known only as "on or before" its date."""
    return deposit(who, on, on_or_before=True, **details)


def eu(on: str) -> ActionRecord:
    return deposit("EU", on, kind=ActionKind.APPROVAL, reio=True)


# The first three instruments of many cases: the threshold is reached on 1 March 2026
# and the general date of entry into force is 30 May 2026.
FIRST_THREE = [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")]

# (case, actions, as_of, counted, deposited, remaining, threshold_reached_on, entry_into_force_on)
THRESHOLD_CASES = [
    ("nothing deposited yet", [], "2026-11-22", 0, 0, 3, None, None),
    (
        "two of three deposited",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10")],
        "2026-11-22", 2, 2, 1, None, None,
    ),
    ("the third deposit reaches the threshold", FIRST_THREE, "2026-03-01", 3, 3, 0, "2026-03-01", "2026-05-30"),
    ("the day before the threshold instrument it is not reached", FIRST_THREE, "2026-02-28", 2, 2, 1, None, None),
    (
        "same-day deposits that cross the threshold reach it that day",
        [deposit("A", "2026-01-10"), deposit("B", "2026-04-01"), deposit("C", "2026-04-01"), deposit("D", "2026-04-01")],
        "2026-04-01", 4, 4, 0, "2026-04-01", "2026-06-30",
    ),
    (
        "same-day deposits that stop one short do not reach it",
        [deposit("A", "2026-04-01"), deposit("B", "2026-04-01")],
        "2026-12-31", 2, 2, 1, None, None,
    ),
    (
        "every kind of instrument counts: acceptance, approval, accession, succession",
        [
            deposit("A", "2026-01-10", ActionKind.ACCEPTANCE),
            deposit("B", "2026-01-11", ActionKind.APPROVAL),
            deposit("C", "2027-02-01", ActionKind.ACCESSION),
            deposit("D", "2027-02-02", ActionKind.SUCCESSION),
        ],
        "2027-02-01", 3, 3, 0, "2027-02-01", "2027-05-02",
    ),
    (
        "a simple signature does not count toward the threshold",
        [sign("A", "2025-10-25"), sign("B", "2025-10-26"), deposit("C", "2026-01-01")],
        "2026-11-22", 1, 1, 2, None, None,
    ),
    (
        "a definitive signature is consent to be bound and counts as an instrument",
        [sign("A", "2025-10-25"), definitive("B", "2025-10-26"), deposit("C", "2026-01-01")],
        "2026-11-22", 2, 2, 1, None, None,
    ),
    (
        "a definitive signature can complete the threshold",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), definitive("C", "2026-03-01")],
        "2026-03-01", 3, 3, 0, "2026-03-01", "2026-05-30",
    ),
    (
        "a withdrawn definitive signature stops counting from its withdrawal",
        [definitive("C", "2025-10-26", withdrawn="2026-02-01"), deposit("A", "2026-01-10"), deposit("B", "2026-02-10")],
        "2026-03-01", 2, 2, 1, None, None,
    ),
    (
        "the EU depositing before its member states is not counted",
        [eu("2026-01-05"), deposit("FR", "2026-02-01"), deposit("DE", "2026-03-01")],
        "2026-11-22", 2, 3, 1, None, None,
    ),
    (
        "the EU depositing between its member states is not counted",
        [deposit("FR", "2026-02-01"), eu("2026-02-15"), deposit("DE", "2026-03-01"), deposit("AT", "2026-04-01")],
        "2026-11-22", 3, 4, 0, "2026-04-01", "2026-06-30",
    ),
    (
        "the EU depositing after its member states does not move the threshold date",
        [deposit("FR", "2026-02-01"), deposit("DE", "2026-03-01"), eu("2026-03-15"), deposit("AT", "2026-04-01")],
        "2026-03-20", 2, 3, 1, None, None,
    ),
    (
        "a deposit withdrawn before the threshold stops counting from its withdrawal",
        [deposit("A", "2026-01-10", withdrawn="2026-02-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", 2, 2, 1, None, None,
    ),
    (
        "a withdrawn deposit still counted on the days before its withdrawal",
        [deposit("A", "2026-01-10", withdrawn="2026-06-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", 3, 3, 0, "2026-03-01", "2026-05-30",
    ),
    (
        "a withdrawal after the threshold does not undo the date, and nothing more is needed",
        [deposit("A", "2026-01-10", withdrawn="2026-04-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-04-02", 2, 2, 0, "2026-03-01", "2026-05-30",
    ),
    ("deposits after the as-of date are ignored", FIRST_THREE, "2026-01-31", 1, 1, 2, None, None),
    (
        "an instrument recorded twice (withdrawn, then imported again) counts once",
        [deposit("A", "2026-01-10", withdrawn="2026-04-01"), deposit("A", "2026-01-10"), deposit("B", "2026-02-10")],
        "2026-03-01", 2, 2, 1, None, None,
    ),
    (
        "a participant that deposited again before its withdrawal took effect counts once",
        [
            deposit("A", "2026-01-10", withdrawn="2026-06-01"),
            deposit("A", "2026-03-01"),
            deposit("B", "2026-02-10"),
            deposit("C", "2026-07-01"),
        ],
        "2026-06-30", 2, 2, 1, None, None,
    ),
    (
        "a participant that deposited again is counted once when a third participant joins",
        [
            deposit("A", "2026-01-10", withdrawn="2026-06-01"),
            deposit("A", "2026-03-01"),
            deposit("B", "2026-02-10"),
            deposit("C", "2026-07-01"),
        ],
        "2026-07-01", 3, 3, 0, "2026-07-01", "2026-09-29",
    ),
    (
        "an instrument withdrawn and deposited again after it counts once",
        [deposit("A", "2026-01-10", withdrawn="2026-02-01"), deposit("A", "2026-03-01"), deposit("B", "2026-02-10")],
        "2026-03-01", 2, 2, 1, None, None,
    ),
    (
        "a definitive signature and a deposit by one participant count once",
        [definitive("A", "2025-10-25"), deposit("A", "2026-02-01"), deposit("B", "2026-02-10")],
        "2026-03-01", 2, 2, 1, None, None,
    ),
]


@pytest.mark.parametrize(
    "actions, as_of, counted, deposited, remaining, reached_on, in_force_on",
    [case[1:] for case in THRESHOLD_CASES],
    ids=[case[0] for case in THRESHOLD_CASES],
)
def test_threshold_and_entry_into_force_follow_the_table(
    actions, as_of, counted, deposited, remaining, reached_on, in_force_on
):
    status = status_as_of(RULE, actions, D(as_of))
    assert status.instruments_counted == counted
    assert status.instruments_deposited == deposited
    assert status.remaining == remaining
    assert status.threshold_reached_on == (D(reached_on) if reached_on else None)
    assert status.entry_into_force_on == (D(in_force_on) if in_force_on else None)


def test_entry_into_force_is_the_ninetieth_day_after_the_fortieth_instrument():
    deposits = [deposit(f"S{n:02}", "2027-01-04") for n in range(39)] + [deposit("S39", "2027-03-15")]
    status = status_as_of(HANOI, deposits, D("2027-03-15"))
    assert status.threshold_reached_on == D("2027-03-15")
    assert status.entry_into_force_on == D("2027-03-15") + timedelta(days=90) == D("2027-06-13")
    assert not status.in_force
    assert status.days_until_entry_into_force == 90


def test_eu_instrument_does_not_count_toward_threshold():
    thirty_nine = [deposit(f"S{n:02}", "2027-01-04") for n in range(39)]
    status = status_as_of(HANOI, [*thirty_nine, eu("2027-02-01")], D("2027-03-01"))
    assert status.instruments_deposited == 40
    assert status.instruments_counted == 39
    assert status.remaining == 1
    assert status.threshold_reached_on is None


def test_eu_instrument_counts_when_the_treaty_says_it_is_additional():
    rule = TreatyRule(3, Delay.days(90), Delay.days(30), reio_counts_as_additional=True)
    status = status_as_of(rule, [eu("2026-01-05"), deposit("FR", "2026-02-01"), deposit("DE", "2026-03-01")], D("2026-03-01"))
    assert status.instruments_counted == 3
    assert status.threshold_reached_on == D("2026-03-01")


# (case, the later deposit, the date the treaty enters into force for it)
LATER_JOINER_CASES = [
    ("on the threshold day: the general date", "2026-03-01", "2026-05-30"),
    ("soon after: the general date, which is later than 30 days", "2026-03-11", "2026-05-30"),
    ("exactly 60 days after: 30 days later is the general date", "2026-04-30", "2026-05-30"),
    ("61 days after: 30 days after its own deposit", "2026-05-01", "2026-05-31"),
    ("after the general date: 30 days after its own deposit", "2026-08-01", "2026-08-31"),
]


@pytest.mark.parametrize(
    "later_on, in_force_for_it", [c[1:] for c in LATER_JOINER_CASES], ids=[c[0] for c in LATER_JOINER_CASES]
)
def test_later_joiner_enters_into_force_30_days_after_its_deposit_or_on_the_general_date(later_on, in_force_for_it):
    first_three = [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")]
    status = status_as_of(RULE, [*first_three, deposit("LATE", later_on)], D("2027-01-01"))
    assert status.threshold_reached_on == D("2026-03-01")
    assert status.entry_into_force_for["LATE"] == D(in_force_for_it)
    assert status.entry_into_force_for["A"] == D("2026-05-30")


def test_eu_depositing_after_the_threshold_is_a_later_joiner():
    first_three = [deposit("FR", "2026-01-10"), deposit("DE", "2026-02-10"), deposit("AT", "2026-03-01")]
    status = status_as_of(RULE, [*first_three, eu("2026-07-01")], D("2026-08-15"))
    assert status.entry_into_force_for["EU"] == D("2026-07-31")
    assert status.parties == 4


def test_eu_depositing_before_the_threshold_enters_into_force_on_the_general_date():
    actions = [eu("2026-01-05"), deposit("FR", "2026-01-10"), deposit("DE", "2026-02-10"), deposit("AT", "2026-03-01")]
    status = status_as_of(RULE, actions, D("2026-05-30"))
    assert status.entry_into_force_for["EU"] == D("2026-05-30")
    assert status.in_force and status.parties == 4


# (case, as_of, in force, parties, days until entry into force)
IN_FORCE_CASES = [
    ("the day before entry into force", "2026-05-29", False, 0, 1),
    ("the day of entry into force", "2026-05-30", True, 3, 0),
    ("before a later joiner's own date", "2026-06-09", True, 3, 0),
    ("on a later joiner's own date", "2026-06-10", True, 4, 0),
]


@pytest.mark.parametrize(
    "as_of, in_force, parties, days_left", [c[1:] for c in IN_FORCE_CASES], ids=[c[0] for c in IN_FORCE_CASES]
)
def test_parties_are_those_for_which_the_treaty_is_in_force_that_day(as_of, in_force, parties, days_left):
    actions = [
        deposit("A", "2026-01-10"),
        deposit("B", "2026-02-10"),
        deposit("C", "2026-03-01"),
        deposit("LATE", "2026-05-11"),
    ]
    status = status_as_of(RULE, actions, D(as_of))
    assert status.in_force is in_force
    assert status.parties == parties
    assert status.days_until_entry_into_force == days_left


# (case, as_of, signatories, window open, days until it closes)
SIGNATURE_CASES = [
    ("before the opening", "2025-10-24", 0, False, 433),
    ("the opening day in Hanoi", "2025-10-25", 2, True, 432),
    ("the second day in Hanoi", "2025-10-26", 3, True, 431),
    ("39 days before the deadline", "2026-11-22", 4, True, 39),
    ("the deadline day itself", "2026-12-31", 4, True, 0),
    ("the day after the deadline", "2027-01-01", 4, False, None),
]


@pytest.mark.parametrize(
    "as_of, signatories, window_open, days_left", [c[1:] for c in SIGNATURE_CASES], ids=[c[0] for c in SIGNATURE_CASES]
)
def test_signatories_and_the_signature_countdown_follow_the_calendar(as_of, signatories, window_open, days_left):
    actions = [
        sign("A", "2025-10-25"),
        sign("B", "2025-10-25"),
        sign("C", "2025-10-26"),
        sign("D", "2026-03-31", ActionKind.DEFINITIVE_SIGNATURE),
    ]
    status = status_as_of(HANOI, actions, D(as_of))
    assert status.signatories == signatories
    assert status.signature_open is window_open
    assert status.days_until_signature_closes == days_left


def test_a_treaty_without_signature_deadline_has_no_countdown():
    status = status_as_of(TreatyRule(3, Delay.days(90), Delay.days(30)), [], D("2026-11-22"))
    assert status.days_until_signature_closes is None
    assert status.signature_open


def test_a_participant_that_signed_and_ratified_is_one_signatory_and_one_instrument():
    actions = [sign("A", "2025-10-25"), deposit("A", "2026-02-01")]
    status = status_as_of(RULE, actions, D("2026-11-22"))
    assert (status.signatories, status.instruments_deposited, status.instruments_counted) == (1, 1, 1)


def test_the_timeline_counts_signatories_and_instruments_on_each_day_something_happened():
    actions = [
        sign("A", "2025-10-25"),
        sign("B", "2025-10-25"),
        sign("C", "2025-10-26"),
        deposit("A", "2026-01-10", withdrawn="2026-03-01"),
        eu("2026-02-01"),
        deposit("B", "2026-02-10"),
        deposit("C", "2027-01-01"),
    ]
    points = timeline(RULE, actions, D("2026-12-31"))
    assert [(p.day.isoformat(), p.signatories, p.instruments_counted) for p in points] == [
        ("2025-10-25", 2, 0),
        ("2025-10-26", 3, 0),
        ("2026-01-10", 3, 1),
        ("2026-02-01", 3, 1),  # the EU's instrument is not counted
        ("2026-02-10", 3, 2),
        ("2026-03-01", 3, 1),  # A withdrew
    ]


@pytest.mark.parametrize(
    "who, as_of, expected",
    [
        ("NOBODY", "2026-06-01", ParticipantStatus.NOT_SIGNED),
        ("S", "2026-06-01", ParticipantStatus.SIGNED),
        ("A", "2026-03-01", ParticipantStatus.DEPOSITED),
        ("A", "2026-05-30", ParticipantStatus.IN_FORCE),
        ("LATE", "2026-06-01", ParticipantStatus.DEPOSITED),
        ("LATE", "2026-06-10", ParticipantStatus.IN_FORCE),
        ("DS", "2026-03-15", ParticipantStatus.DEPOSITED),
        ("DS", "2026-05-30", ParticipantStatus.IN_FORCE),
        ("W", "2025-12-31", ParticipantStatus.SIGNED),
        ("W", "2026-01-01", ParticipantStatus.NOT_SIGNED),
    ],
)
def test_a_participants_standing_follows_its_own_date_of_entry_into_force(who, as_of, expected):
    actions = [
        sign("S", "2025-10-25"),
        sign("W", "2025-10-25", withdrawn="2026-01-01"),
        *FIRST_THREE,
        definitive("DS", "2026-03-15"),
        deposit("LATE", "2026-05-11"),
    ]
    status = status_as_of(RULE, actions, D(as_of))
    assert participant_status(status, who, who in status.signed, who in status.with_instrument) is expected


# (case, actions, as_of, each participant's date of entry into force, parties)
ENTRY_INTO_FORCE_FOR_CASES = [
    (
        "a participant that withdrew is no party and has no date until it deposits again",
        [deposit("A", "2026-01-10", withdrawn="2026-07-01"), deposit("A", "2026-08-01"), *FIRST_THREE[1:]],
        "2026-07-15", {"B": "2026-05-30", "C": "2026-05-30"}, 2,
    ),
    (
        "a participant that deposited again after the general date is a later joiner by its new instrument",
        [deposit("A", "2026-01-10", withdrawn="2026-07-01"), deposit("A", "2026-08-01"), *FIRST_THREE[1:]],
        "2026-09-15", {"A": "2026-08-31", "B": "2026-05-30", "C": "2026-05-30"}, 3,
    ),
    (
        "two records of one participant in effect: the earliest, wherever it is listed",
        [deposit("LATE", "2026-09-01"), *FIRST_THREE, deposit("LATE", "2026-08-01", withdrawn="2027-06-01")],
        "2026-12-01", {"A": "2026-05-30", "B": "2026-05-30", "C": "2026-05-30", "LATE": "2026-08-31"}, 4,
    ),
    (
        "definitive signatures make parties, founding or later",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), definitive("C", "2026-03-01"),
         definitive("LATE", "2026-05-11")],
        "2026-06-10", {"A": "2026-05-30", "B": "2026-05-30", "C": "2026-05-30", "LATE": "2026-06-10"}, 4,
    ),
    (
        "a definitive signature is a party until its withdrawal",
        [*FIRST_THREE, definitive("D", "2026-04-01", withdrawn="2026-07-01")],
        "2026-06-30", {"A": "2026-05-30", "B": "2026-05-30", "C": "2026-05-30", "D": "2026-05-30"}, 4,
    ),
    (
        "a withdrawn definitive signature is no party from its withdrawal",
        [*FIRST_THREE, definitive("D", "2026-04-01", withdrawn="2026-07-01")],
        "2026-07-01", {"A": "2026-05-30", "B": "2026-05-30", "C": "2026-05-30"}, 3,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, dates, parties",
    [case[1:] for case in ENTRY_INTO_FORCE_FOR_CASES],
    ids=[case[0] for case in ENTRY_INTO_FORCE_FOR_CASES],
)
def test_each_participant_counts_once_in_its_date_of_entry_into_force_and_among_parties(
    actions, as_of, dates, parties
):
    status = status_as_of(RULE, actions, D(as_of))
    assert status.entry_into_force_for == {who: D(day) for who, day in dates.items()}
    assert status.parties == parties


# (case, actions, as_of, signatories, instruments deposited)
SIGNATORY_CASES = [
    (
        "a withdrawn signature counts until the day before its withdrawal",
        [sign("A", "2025-10-25", withdrawn="2026-03-01"), sign("B", "2025-10-25")],
        "2026-02-28", 2, 0,
    ),
    (
        "a withdrawn signature is no signatory from its withdrawal on",
        [sign("A", "2025-10-25", withdrawn="2026-03-01"), sign("B", "2025-10-25")],
        "2026-03-01", 1, 0,
    ),
    ("a definitive signature is a signature and an instrument", [sign("A", "2025-10-25"), definitive("B", "2025-10-25")],
     "2026-03-01", 2, 1),
    (
        "a withdrawn definitive signature is neither a signatory nor an instrument",
        [definitive("B", "2025-10-25", withdrawn="2026-03-01")],
        "2026-03-01", 0, 0,
    ),
    (
        "a signatory whose instrument was withdrawn is still a signatory",
        [sign("A", "2025-10-25"), deposit("A", "2026-01-10", withdrawn="2026-02-01")],
        "2026-03-01", 1, 0,
    ),
    (
        "instruments deposited count participants with one in effect, not records",
        [deposit("A", "2026-01-10", withdrawn="2026-02-01"), deposit("A", "2026-02-10"), deposit("A", "2026-02-10"),
         deposit("B", "2026-01-10", withdrawn="2026-02-01")],
        "2026-03-01", 0, 1,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, signatories, deposited",
    [case[1:] for case in SIGNATORY_CASES],
    ids=[case[0] for case in SIGNATORY_CASES],
)
def test_signatories_and_instruments_deposited_count_what_is_in_effect(actions, as_of, signatories, deposited):
    status = status_as_of(RULE, actions, D(as_of))
    assert (status.signatories, status.instruments_deposited) == (signatories, deposited)


# (case, as_of, counted, remaining, in force); A withdraws on 15 June, after the threshold.
REMAINING_CASES = [
    ("before the threshold", "2026-02-28", 2, 1, False),
    ("on the threshold day", "2026-03-01", 3, 0, False),
    ("on the day of entry into force", "2026-05-30", 3, 0, True),
    ("after a withdrawal took the count below the threshold", "2026-06-15", 2, 0, True),
]


@pytest.mark.parametrize(
    "as_of, counted, remaining, in_force", [c[1:] for c in REMAINING_CASES], ids=[c[0] for c in REMAINING_CASES]
)
def test_remaining_is_zero_once_the_threshold_was_reached_and_agrees_with_in_force(as_of, counted, remaining, in_force):
    actions = [deposit("A", "2026-01-10", withdrawn="2026-06-15"), *FIRST_THREE[1:]]
    status = status_as_of(RULE, actions, D(as_of))
    assert (status.instruments_counted, status.remaining, status.in_force) == (counted, remaining, in_force)


def test_the_timeline_counts_each_participant_once_whatever_its_history():
    actions = [
        sign("C", "2025-10-25", withdrawn="2026-04-01"),
        deposit("A", "2026-01-10", withdrawn="2026-06-01"),
        deposit("A", "2026-01-10"),  # the same instrument again, as a re-import made it
        deposit("A", "2026-03-01"),
        definitive("B", "2026-02-01"),
    ]
    points = timeline(RULE, actions, D("2026-12-31"))
    assert [(p.day.isoformat(), p.signatories, p.instruments_counted) for p in points] == [
        ("2025-10-25", 1, 0),
        ("2026-01-10", 1, 1),
        ("2026-02-01", 2, 2),  # B's definitive signature: a signatory and an instrument
        ("2026-03-01", 2, 2),
        ("2026-04-01", 1, 2),  # C withdrew its signature
        ("2026-06-01", 1, 2),  # A's other records are still in effect
    ]


# (case, actions, as_of, threshold_reached_on, whether it is only "on or before")
THRESHOLD_PRECISION_CASES = [
    ("exact dates give an exact day", FIRST_THREE, "2026-03-01", "2026-03-01", False),
    (
        "the instrument that completes the count dated on or before: the day is on or before",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), about("C", "2026-03-01")],
        "2026-03-01", "2026-03-01", True,
    ),
    (
        "an earlier instrument dated on or before does not move an exactly dated last one",
        [deposit("A", "2026-01-10"), about("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", "2026-03-01", False,
    ),
    (
        "an on-or-before instrument of the threshold day leaves it exact when an exact one of that day was needed",
        [deposit("A", "2026-01-10"), deposit("B", "2026-03-01"), about("C", "2026-03-01")],
        "2026-03-01", "2026-03-01", False,
    ),
    (
        "every instrument dated on or before: the day is on or before",
        [about("A", "2026-01-10"), about("B", "2026-02-10"), about("C", "2026-03-01")],
        "2026-03-01", "2026-03-01", True,
    ),
    (
        "an instrument dated on or before after the threshold day may have come before it",
        [*FIRST_THREE, about("D", "2026-04-01")],
        "2026-04-01", "2026-03-01", True,
    ),
    (
        "an instrument dated on or before after the as-of day is left out",
        [*FIRST_THREE, about("D", "2026-04-01")],
        "2026-03-15", "2026-03-01", False,
    ),
    (
        "an on-or-before instrument withdrawn before the count could reach the threshold leaves it exact",
        [about("A", "2026-01-10", withdrawn="2026-01-20"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01"),
         deposit("D", "2026-03-01")],
        "2026-03-01", "2026-03-01", False,
    ),
    (
        "a definitive signature dated on or before counts the same way",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), definitive("C", "2026-03-01", on_or_before=True)],
        "2026-03-01", "2026-03-01", True,
    ),
    ("no threshold day, no precision", [about("A", "2026-01-10"), about("B", "2026-02-10")], "2026-11-22", None, False),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, reached_on, on_or_before",
    [case[1:] for case in THRESHOLD_PRECISION_CASES],
    ids=[case[0] for case in THRESHOLD_PRECISION_CASES],
)
def test_a_threshold_day_derived_from_an_on_or_before_date_is_itself_on_or_before(
    actions, as_of, reached_on, on_or_before
):
    status = status_as_of(RULE, actions, D(as_of))
    assert status.threshold_reached_on == (D(reached_on) if reached_on else None)
    assert status.threshold_reached_on_or_before is on_or_before
    assert status.entry_into_force_on_or_before is on_or_before


# Reached on 1 March 2026 but only "on or before" (C's date is), general date 30 May 2026.
UNCERTAIN_THREE = [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), about("C", "2026-03-01")]
# Reached on 1 March 2026, exactly even if an instrument deposited later had come first.
SAME_DAY_THREE = [deposit("A", "2026-03-01"), deposit("B", "2026-03-01"), deposit("C", "2026-03-01")]

# (case, actions, as_of, participant, its date of entry into force, whether only "on or before")
PARTICIPANT_PRECISION_CASES = [
    (
        "an exact threshold day: a founding participant's date is exact even if its own is on or before",
        [about("A", "2026-01-10"), *FIRST_THREE[1:]], "2026-06-01", "A", "2026-05-30", False,
    ),
    ("an uncertain threshold day: a founding participant has the general date, on or before",
     UNCERTAIN_THREE, "2026-06-01", "A", "2026-05-30", True),
    ("an exactly dated later joiner after the general date is exact, whatever the threshold day",
     [*UNCERTAIN_THREE, deposit("LATE", "2026-08-01")], "2026-09-01", "LATE", "2026-08-31", False),
    ("a later joiner whose own date falls before the general date takes the general date's precision",
     [*UNCERTAIN_THREE, deposit("LATE", "2026-04-01")], "2026-06-01", "LATE", "2026-05-30", True),
    ("a later joiner dated on or before after the general date is on or before",
     [*SAME_DAY_THREE, about("LATE", "2026-08-01")], "2026-09-01", "LATE", "2026-08-31", True),
    ("a later joiner dated on or before whose own date falls before an exact general date is exact",
     [*SAME_DAY_THREE, about("LATE", "2026-04-01")], "2026-06-01", "LATE", "2026-05-30", False),
    ("its own date and the general date equal, one of them exact: exact",
     [*UNCERTAIN_THREE, deposit("LATE", "2026-04-30")], "2026-06-01", "LATE", "2026-05-30", False),
    ("its own date and the general date equal, both on or before: on or before",
     [*UNCERTAIN_THREE, about("LATE", "2026-04-30")], "2026-06-01", "LATE", "2026-05-30", True),
    ("one of two records in effect dated on or before: it may have come first",
     [*SAME_DAY_THREE, deposit("LATE", "2026-08-01"), about("LATE", "2026-09-01")], "2026-10-01", "LATE",
     "2026-08-31", True),
]  # fmt: skip


@pytest.mark.parametrize(
    "actions, as_of, who, in_force_for_it, on_or_before",
    [case[1:] for case in PARTICIPANT_PRECISION_CASES],
    ids=[case[0] for case in PARTICIPANT_PRECISION_CASES],
)
def test_a_participants_date_is_on_or_before_only_when_what_fixes_it_is(actions, as_of, who, in_force_for_it, on_or_before):
    status = status_as_of(RULE, actions, D(as_of))
    assert status.entry_into_force_for[who] == D(in_force_for_it)
    assert (who in status.entry_into_force_on_or_before_for) is on_or_before


ALL_CASES = [
    *((case[1], case[2]) for case in THRESHOLD_CASES),
    *((case[1], case[2]) for case in ENTRY_INTO_FORCE_FOR_CASES),
    *((case[1], case[2]) for case in SIGNATORY_CASES),
    *((case[1], case[2]) for case in THRESHOLD_PRECISION_CASES),
    *((case[1], case[2]) for case in PARTICIPANT_PRECISION_CASES),
]


@pytest.mark.parametrize("actions, as_of", ALL_CASES)
def test_no_result_depends_on_the_order_of_the_records(actions, as_of):
    def shuffled(seed: int) -> list[ActionRecord]:
        copy = list(actions)
        random.Random(seed).shuffle(copy)
        return copy

    orders = [list(reversed(actions)), *(shuffled(seed) for seed in range(5))]
    expected_status = status_as_of(RULE, actions, D(as_of))
    expected_timeline = timeline(RULE, actions, D(as_of))
    for order in orders:
        assert status_as_of(RULE, order, D(as_of)) == expected_status
        assert timeline(RULE, order, D(as_of)) == expected_timeline
