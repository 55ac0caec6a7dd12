"""rules.unchanged_span: the days around a date on which a treaty's status stays the same,
on the real treaties of test_rules_treaties and on made-up withdrawals and "on or before"
dates. The home page keeps each treaty's summary for those days, so a span that is too
long would show a stale figure: every day of each span is checked against the status
computed for that very day.
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.tracker.test_rules_treaties import (
    CMW,
    CMW_20,
    CMW_LATER,
    CRC_OP_AC,
    CRC_OP_AC_10,
    CRC_OP_AC_LATER,
    CRPD,
    CRPD_20,
    CRPD_LATER,
    OTTAWA,
    OTTAWA_40,
    OTTAWA_LATER,
    about,
    deposit,
)
from tracker.rules import ActionKind, ActionRecord, Delay, TreatyRule, status_as_of, unchanged_span

D = date.fromisoformat
# HYPOTHETICAL: made-up participants and dates, for withdrawals and "on or before" dates.
WITHDRAWALS = [
    *[deposit(f"HYPOTHETICAL-{n}", f"2030-0{1 + n % 5}-1{n % 10}") for n in range(6)],
    deposit("HYPOTHETICAL-6", "2030-02-02", withdrawn="2030-04-20"),
    about("HYPOTHETICAL-7", "2030-03-03"),
    deposit("HYPOTHETICAL-EU", "2030-03-05", ActionKind.FORMAL_CONFIRMATION, reio=True),
    ActionRecord("HYPOTHETICAL-8", ActionKind.SIGNATURE, D("2030-01-05"), withdrawn_on=D("2030-02-25")),
]
CASES = [
    ("Ottawa Convention", OTTAWA, OTTAWA_40 + OTTAWA_LATER),
    ("Migrant Workers Convention", CMW, CMW_20 + CMW_LATER),
    ("CRPD, with the EU's formal confirmation", CRPD, CRPD_20 + CRPD_LATER),
    ("CRC protocol, later joiners a month after", CRC_OP_AC, CRC_OP_AC_10 + CRC_OP_AC_LATER),
    ("HYPOTHETICAL withdrawals", TreatyRule(5, Delay.parse("30d")), WITHDRAWALS),
]


def days_of_interest(actions) -> list[date]:
    """Each day something is dated, the days either side, and a day long after."""
    days = set()
    for action in actions:
        for day in (action.on, action.withdrawn_on):
            if day is not None:
                days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    return sorted(days) + [max(days) + timedelta(days=800)]


def without_day(status):
    return replace(status, as_of=date.min)


@pytest.mark.parametrize("name, rule, actions", CASES, ids=[case[0] for case in CASES])
def test_every_day_of_a_span_has_the_status_of_the_day_it_was_computed_for(name, rule, actions):
    checked = 0
    for day in days_of_interest(actions):
        status = status_as_of(rule, actions, day)
        starts, ends = unchanged_span(actions, status)
        assert starts <= day and (ends is None or day < ends)
        first = max(starts, day - timedelta(days=400))
        last = (ends - timedelta(days=1)) if ends is not None else day + timedelta(days=400)
        for offset in range((min(last, day + timedelta(days=400)) - first).days + 1):
            other = first + timedelta(days=offset)
            assert without_day(status_as_of(rule, actions, other)) == without_day(status), (
                f"{name}: the span {starts}…{ends} of {day} does not hold on {other}"
            )
            checked += 1
    assert checked > 100


def test_a_span_ends_on_the_day_a_party_s_own_entry_into_force_comes():
    status = status_as_of(CRPD, CRPD_20 + CRPD_LATER, D("2008-04-20"))
    later = status.entry_into_force_for["Mali"]  # Mali's instrument of 7 April 2008
    assert later > status.as_of
    _, ends = unchanged_span(CRPD_20 + CRPD_LATER, status)
    assert ends is not None and ends <= later
    assert status_as_of(CRPD, CRPD_20 + CRPD_LATER, later).parties > status.parties


def test_a_day_the_caller_depends_on_ends_the_span():
    status = status_as_of(OTTAWA, OTTAWA_40, D("1999-06-01"))
    _, ends = unchanged_span(OTTAWA_40, status)
    assert ends is None  # every instrument dated, every date of entry into force passed
    _, ends = unchanged_span(OTTAWA_40, status, also=[D("2001-01-01"), None])
    assert ends == D("2001-01-01")
