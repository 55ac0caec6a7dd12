"""Which alerts are due, as tables of dates and statuses. No database: tracker.alerts.rules is pure."""

import re
from datetime import date, timedelta

import pytest

from tracker.alerts.rules import default_milestones, due_alerts, milestones_for, parse_milestones, split_new
from tracker.rules import ActionKind, ActionRecord, Delay, TreatyRule, status_as_of

D = date.fromisoformat
HANOI = TreatyRule(40, Delay.days(90), Delay.days(30), False, D("2025-10-25"), D("2026-12-31"))


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
    moved = TreatyRule(40, Delay.days(90), Delay.days(30), False, D("2025-10-25"), D("2027-06-30"))
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


# (threshold, milestones): each quarter of the threshold rounded up, the last 5, 2 and 1
# before it, and the threshold itself.
MILESTONE_CASES = [
    (1, (1,)),
    (3, (1, 2, 3)),  # quarters 0.75, 1.5, 2.25 round up to 1, 2, 3; 3 - 5 is no count
    (8, (2, 3, 4, 6, 7, 8)),
    (40, (10, 20, 30, 35, 38, 39, 40)),
    (55, (14, 28, 42, 50, 53, 54, 55)),  # 13.75, 27.5, 41.25 round up
    (193, (49, 97, 145, 188, 191, 192, 193)),
]


@pytest.mark.parametrize("threshold, milestones", MILESTONE_CASES, ids=[f"threshold {c[0]}" for c in MILESTONE_CASES])
def test_default_milestones_are_the_quarters_of_the_threshold_and_its_last_five_two_and_one(threshold, milestones):
    assert default_milestones(threshold) == milestones
    assert milestones_for(threshold, "") == milestones


def rule_of(threshold: int) -> TreatyRule:
    return TreatyRule(threshold, Delay.days(90), Delay.days(30), False, D("2025-10-25"), D("2026-12-31"))


def threshold_keys(threshold: int, counted: int, milestones=None) -> tuple[list[str], list[str]]:
    status = status_as_of(rule_of(threshold), deposits(counted), D("2027-02-01"))
    due = [a for a in due_alerts(status, milestones) if a.kind == "threshold"]
    to_send, to_suppress = split_new(due, set())
    return keys(to_send), keys(to_suppress)


def test_a_treaty_with_a_threshold_of_8_alerts_at_its_second_deposit():
    assert threshold_keys(8, 1) == ([], [])
    assert threshold_keys(8, 2) == (["threshold:2"], [])


def test_a_treaty_with_a_threshold_of_55_is_alerted_past_40_up_to_its_threshold():
    assert threshold_keys(55, 50) == (["threshold:50"], ["threshold:14", "threshold:28", "threshold:42"])
    assert threshold_keys(55, 55)[0] == ["threshold:55"]


def test_a_treatys_own_milestones_replace_the_default_and_keep_the_threshold():
    assert milestones_for(40, "5, 15,") == (5, 15, 40)
    assert threshold_keys(40, 6, milestones_for(40, "5, 15")) == (["threshold:5"], [])


def test_a_stored_list_that_no_longer_fits_the_threshold_keeps_its_valid_milestones():
    # The threshold was lowered to 30 after the list was saved.
    assert milestones_for(30, "10, 20, 35, 40") == (10, 20, 30)


BAD_MILESTONES = [
    ("a word", "10, ten, 30", "“ten” is not a count of instruments"),
    ("zero", "0, 10", "“0” is not a count of instruments"),
    ("a negative count", "-5", "“-5” is not a count of instruments"),
    ("a fraction", "10.5", "“10.5” is not a count of instruments"),
    ("semicolons", "10; 20", "“10; 20” is not a count of instruments"),
    ("above the threshold", "10, 45", "45 is above the threshold (40)"),
]


@pytest.mark.parametrize("text, message", [c[1:] for c in BAD_MILESTONES], ids=[c[0] for c in BAD_MILESTONES])
def test_a_bad_list_of_milestones_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_milestones(text, 40)


def test_a_threshold_alert_records_the_count_and_what_remains_at_its_check():
    """Eleven counted: the "10" milestone is due, and 29 remain (not 40 - 10)."""
    [alert] = [a for a in due_alerts(status_as_of(HANOI, deposits(11), D("2027-02-01"))) if a.kind == "threshold"]
    assert (alert.key, alert.fact("milestone"), alert.fact("counted"), alert.fact("remaining")) == (
        "threshold:10", 10, 11, 29,
    )  # fmt: skip


def test_an_alert_takes_the_facts_a_check_adds_to_it():
    [alert] = [a for a in due_alerts(status_as_of(HANOI, deposits(10), D("2027-02-01"))) if a.kind == "threshold"]
    news = ({"participant": "Austria", "date": "2027-02-01"},)
    assert alert.with_facts(deposited_since=news).fact("deposited_since") == news
    assert alert.with_facts(deposited_since=news).key == alert.key


def test_entry_into_force_alerts_say_when_the_date_is_only_on_or_before():
    """39 instruments on 31 January and the 40th "on or before 1 February": the threshold
    may have been reached on the 31st, so 2 May is only the latest day of entry into force."""
    exact = [*deposits(39, on="2027-01-31"), ActionRecord("S39", ActionKind.RATIFICATION, D("2027-02-01"))]
    vague = [*deposits(39, on="2027-01-31"), ActionRecord("S39", ActionKind.RATIFICATION, D("2027-02-01"), on_or_before=True)]

    def flags(actions):
        due = due_alerts(status_as_of(HANOI, actions, D("2027-05-02")))
        return {a.key: a.fact("on_or_before") for a in due if a.kind == "entry_into_force"}

    assert flags(exact) == {"entry-into-force:2027-05-02:fixed": False, "entry-into-force:2027-05-02:in-force": False}
    assert flags(vague) == {"entry-into-force:2027-05-02:fixed": True, "entry-into-force:2027-05-02:in-force": True}
