"""Which alerts are due, as tables of dates and statuses. No database: tracker.alerts.rules is pure."""

from datetime import date, timedelta

import pytest

from tracker.alerts.rules import due_alerts, split_new
from tracker.rules import ActionKind, ActionRecord, TreatyRule, status_as_of

D = date.fromisoformat
HANOI = TreatyRule(40, 90, 30, False, D("2025-10-25"), D("2026-12-31"))


def deposits(count: int, on: str = "2027-02-01") -> list[ActionRecord]:
    return [ActionRecord(f"S{n:02}", ActionKind.RATIFICATION, D(on)) for n in range(count)]


def keys(alerts) -> list[str]:
    return sorted(alert.key for alert in alerts)


# (case, as_of, keys to send, keys to suppress) on a first check, nothing recorded before
DEADLINE_CASES = [
    ("before the opening nothing is due", "2025-10-01", [], []),
    ("91 days before the close nothing is due", "2026-10-01", [], []),
    ("90 days before: the 90-day notice", "2026-10-02", ["deadline:2026-12-31:T-90"], []),
    ("88 days before: still the 90-day notice (beat was down)", "2026-10-04", ["deadline:2026-12-31:T-90"], []),
    ("86 days before: too late for the 90-day notice", "2026-10-06", [], ["deadline:2026-12-31:T-90"]),
    (
        "deployed 39 days before: neither the 90- nor the 60-day notice",
        "2026-11-22",
        [],
        ["deadline:2026-12-31:T-60", "deadline:2026-12-31:T-90"],
    ),
    (
        "30 days before, nothing recorded: the 30-day notice only",
        "2026-12-01",
        ["deadline:2026-12-31:T-30"],
        ["deadline:2026-12-31:T-60", "deadline:2026-12-31:T-90"],
    ),
    ("the deadline day: the 1-day notice is the nearest", "2026-12-31", ["deadline:2026-12-31:T-1"], None),
    ("the day after: closed", "2027-01-01", ["deadline:2026-12-31:closed"], None),
]


@pytest.mark.parametrize(
    "as_of, send, suppress", [c[1:] for c in DEADLINE_CASES], ids=[c[0] for c in DEADLINE_CASES]
)
def test_deadline_notices_follow_the_new_york_calendar(as_of, send, suppress):
    due = due_alerts(status_as_of(HANOI, [], D(as_of)))
    to_send, to_suppress = split_new(due, set())
    assert keys(to_send) == send
    if suppress is not None:
        assert keys(to_suppress) == suppress


def test_each_deadline_notice_is_sent_once_as_the_days_pass():
    known: set[str] = set()
    sent = []
    day = D("2026-09-01")
    while day <= D("2027-01-05"):
        to_send, to_suppress = split_new(due_alerts(status_as_of(HANOI, [], day)), known)
        sent += [(a.key, day.isoformat()) for a in to_send]
        known |= {a.key for a in to_send + to_suppress}
        day += timedelta(days=1)
    assert sent == [
        ("deadline:2026-12-31:T-90", "2026-10-02"),
        ("deadline:2026-12-31:T-60", "2026-11-01"),
        ("deadline:2026-12-31:T-30", "2026-12-01"),
        ("deadline:2026-12-31:T-14", "2026-12-17"),
        ("deadline:2026-12-31:T-7", "2026-12-24"),
        ("deadline:2026-12-31:T-1", "2026-12-30"),
        ("deadline:2026-12-31:closed", "2027-01-01"),
    ]


def test_a_moved_deadline_arms_the_notices_again():
    moved = TreatyRule(40, 90, 30, False, D("2025-10-25"), D("2027-06-30"))
    known = {"deadline:2026-12-31:T-30"}
    to_send, _ = split_new(due_alerts(status_as_of(moved, [], D("2027-05-31"))), known)
    assert keys(to_send) == ["deadline:2027-06-30:T-30"]


# (case, counted instruments, known keys, keys to send, keys to suppress)
THRESHOLD_CASES = [
    ("nine deposits: nothing", 9, set(), [], []),
    ("ten: the first milestone", 10, set(), ["threshold:10"], []),
    ("35 imported at once: 35 of 40, the rest suppressed", 35, set(),
     ["threshold:35"], ["threshold:10", "threshold:20", "threshold:30"]),
    ("38 after 35 was sent: 38", 38, {"threshold:10", "threshold:20", "threshold:30", "threshold:35"},
     ["threshold:38"], []),
    ("nothing new: nothing sent", 38, {"threshold:10", "threshold:20", "threshold:30", "threshold:35", "threshold:38"},
     [], []),
]  # fmt: skip


@pytest.mark.parametrize(
    "counted, known, send, suppress", [c[1:] for c in THRESHOLD_CASES], ids=[c[0] for c in THRESHOLD_CASES]
)
def test_threshold_milestones_send_only_the_highest_new_one(counted, known, send, suppress):
    due = [a for a in due_alerts(status_as_of(HANOI, deposits(counted), D("2027-02-01"))) if a.kind == "threshold"]
    to_send, to_suppress = split_new(due, known)
    assert (keys(to_send), keys(to_suppress)) == (send, suppress)


def test_the_fortieth_deposit_fixes_the_date_and_then_the_day_comes():
    actions = deposits(40, on="2027-02-01")
    fixed, suppressed = split_new(due_alerts(status_as_of(HANOI, actions, D("2027-02-01"))), set())
    assert keys(fixed) == ["deadline:2026-12-31:closed", "entry-into-force:2027-05-02:fixed", "threshold:40"]
    known = {a.key for a in fixed + suppressed}
    later = split_new(due_alerts(status_as_of(HANOI, actions, D("2027-05-02"))), known)
    assert keys(later[0]) == ["entry-into-force:2027-05-02:in-force"]


def test_the_eu_instrument_does_not_reach_a_milestone():
    eu = ActionRecord("EU", ActionKind.APPROVAL, D("2027-02-01"), is_reio=True)
    due = due_alerts(status_as_of(HANOI, [*deposits(9), eu], D("2027-02-01")))
    assert not [a for a in due if a.kind == "threshold"]
