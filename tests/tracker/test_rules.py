"""The entry-into-force rules, as tables of cases. No database: tracker.rules is pure."""

from datetime import date, timedelta

import pytest

from tracker.rules import (
    ActionKind,
    ActionRecord,
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
    entry_into_force_delay_days=90,
    later_joiner_delay_days=30,
    reio_counts_as_additional=False,
    signature_opens_on=OPENS,
    signature_closes_on=CLOSES,
)
HANOI = TreatyRule(40, 90, 30, False, OPENS, CLOSES)


def deposit(who: str, on: str, kind=ActionKind.RATIFICATION, reio=False, withdrawn=None) -> ActionRecord:
    return ActionRecord(who, kind, D(on), is_reio=reio, withdrawn_on=D(withdrawn) if withdrawn else None)


def sign(who: str, on: str, kind=ActionKind.SIGNATURE) -> ActionRecord:
    return ActionRecord(who, kind, D(on))


def eu(on: str) -> ActionRecord:
    return deposit("EU", on, kind=ActionKind.APPROVAL, reio=True)


# (case, actions, as_of, counted, deposited, threshold_reached_on, entry_into_force_on)
THRESHOLD_CASES = [
    ("nothing deposited yet", [], "2026-11-22", 0, 0, None, None),
    (
        "two of three deposited",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10")],
        "2026-11-22", 2, 2, None, None,
    ),
    (
        "the third deposit reaches the threshold",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", 3, 3, "2026-03-01", "2026-05-30",
    ),
    (
        "the day before the threshold instrument it is not reached",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-02-28", 2, 2, None, None,
    ),
    (
        "same-day deposits that cross the threshold reach it that day",
        [deposit("A", "2026-01-10"), deposit("B", "2026-04-01"), deposit("C", "2026-04-01"), deposit("D", "2026-04-01")],
        "2026-04-01", 4, 4, "2026-04-01", "2026-06-30",
    ),
    (
        "same-day deposits that stop one short do not reach it",
        [deposit("A", "2026-04-01"), deposit("B", "2026-04-01")],
        "2026-12-31", 2, 2, None, None,
    ),
    (
        "every kind of instrument counts: acceptance, approval, accession, succession",
        [
            deposit("A", "2026-01-10", ActionKind.ACCEPTANCE),
            deposit("B", "2026-01-11", ActionKind.APPROVAL),
            deposit("C", "2027-02-01", ActionKind.ACCESSION),
            deposit("D", "2027-02-02", ActionKind.SUCCESSION),
        ],
        "2027-02-01", 3, 3, "2027-02-01", "2027-05-02",
    ),
    (
        "signatures and definitive signatures do not count toward the threshold",
        [sign("A", "2025-10-25"), sign("B", "2025-10-26", ActionKind.DEFINITIVE_SIGNATURE), deposit("C", "2026-01-01")],
        "2026-11-22", 1, 1, None, None,
    ),
    (
        "the EU depositing before its member states is not counted",
        [eu("2026-01-05"), deposit("FR", "2026-02-01"), deposit("DE", "2026-03-01")],
        "2026-11-22", 2, 3, None, None,
    ),
    (
        "the EU depositing between its member states is not counted",
        [deposit("FR", "2026-02-01"), eu("2026-02-15"), deposit("DE", "2026-03-01"), deposit("AT", "2026-04-01")],
        "2026-11-22", 3, 4, "2026-04-01", "2026-06-30",
    ),
    (
        "the EU depositing after its member states does not move the threshold date",
        [deposit("FR", "2026-02-01"), deposit("DE", "2026-03-01"), eu("2026-03-15"), deposit("AT", "2026-04-01")],
        "2026-03-20", 2, 3, None, None,
    ),
    (
        "a deposit withdrawn before the threshold stops counting from its withdrawal",
        [deposit("A", "2026-01-10", withdrawn="2026-02-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", 2, 2, None, None,
    ),
    (
        "a withdrawn deposit still counted on the days before its withdrawal",
        [deposit("A", "2026-01-10", withdrawn="2026-06-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-03-01", 3, 3, "2026-03-01", "2026-05-30",
    ),
    (
        "a withdrawal after the threshold does not undo the entry-into-force date",
        [deposit("A", "2026-01-10", withdrawn="2026-04-01"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-04-02", 2, 2, "2026-03-01", "2026-05-30",
    ),
    (
        "deposits after the as-of date are ignored",
        [deposit("A", "2026-01-10"), deposit("B", "2026-02-10"), deposit("C", "2026-03-01")],
        "2026-01-31", 1, 1, None, None,
    ),
]


@pytest.mark.parametrize(
    "actions, as_of, counted, deposited, reached_on, in_force_on",
    [case[1:] for case in THRESHOLD_CASES],
    ids=[case[0] for case in THRESHOLD_CASES],
)
def test_threshold_and_entry_into_force_follow_the_table(actions, as_of, counted, deposited, reached_on, in_force_on):
    status = status_as_of(RULE, actions, D(as_of))
    assert status.instruments_counted == counted
    assert status.instruments_deposited == deposited
    assert status.remaining == max(RULE.threshold - counted, 0)
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
    rule = TreatyRule(3, 90, 30, reio_counts_as_additional=True)
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
    status = status_as_of(TreatyRule(3, 90, 30), [], D("2026-11-22"))
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
    ],
)
def test_a_participants_standing_follows_its_own_date_of_entry_into_force(who, as_of, expected):
    actions = [
        sign("S", "2025-10-25"),
        deposit("A", "2026-01-10"),
        deposit("B", "2026-02-10"),
        deposit("C", "2026-03-01"),
        deposit("LATE", "2026-05-11"),
    ]
    status = status_as_of(RULE, actions, D(as_of))
    deposited = any(a.participant == who and a.is_deposit and a.effective_on(D(as_of)) for a in actions)
    signed = any(a.participant == who and a.is_signature for a in actions)
    assert participant_status(status, who, signed, deposited) is expected
