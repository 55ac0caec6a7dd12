"""Which alerts are due for a treaty on a date, as a pure function of its status.

No Django here. Each alert has a stable key, so that the database can make "sent once" a
fact (a unique key per treaty). Alerts of one group (threshold milestones, the deadline
countdown, entry into force) that become due together are not all sent: only the most
relevant one is, and the others are recorded as suppressed. Deploying 39 days before the
deadline sends the 30-day notice, not the 90- and 60-day ones; importing 35 deposits at
once sends "35 of 40", not four emails.

Milestones follow each treaty's threshold (``default_milestones``): each quarter of it and
the last 5, 2 and 1 instruments before it, the threshold itself always included. A
treaty's own list (``Treaty.alert_milestones``) replaces them; see ``milestones_for``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from tracker.rules import Status

# The quarters of the threshold, and how many instruments before it, that are milestones.
QUARTERS = (1, 2, 3, 4)
LAST_BEFORE = (5, 2, 1)
DEFAULT_DEADLINE_DAYS = (90, 60, 30, 14, 7, 1)
# A countdown notice more than this many days late (a first deployment, beat down for
# days) would mislead: it is recorded as suppressed instead of sent.
DEADLINE_GRACE_DAYS = 3


class AlertKind(StrEnum):
    """What subscribers choose to hear about."""

    THRESHOLD = "threshold"
    ENTRY_INTO_FORCE = "entry_into_force"
    DEADLINE = "deadline"
    PARTICIPANT = "participant"


@dataclass(frozen=True)
class DueAlert:
    """An alert that the status on a date calls for.

    ``group`` gathers alerts of which only the most relevant is sent when several are
    new at once; ``rank`` orders them (higher is more relevant).
    """

    key: str
    kind: AlertKind
    group: str
    rank: int
    # (name, value) pairs, stored as the alert's JSON facts: strings, numbers, booleans,
    # or tuples of them (``deposited_since``).
    facts: tuple[tuple[str, object], ...] = ()
    stale: bool = False

    def fact(self, name: str):
        return dict(self.facts)[name]

    def with_facts(self, **facts) -> "DueAlert":
        """The same alert with more facts (what a selector found out at check time)."""
        return replace(self, facts=(*self.facts, *facts.items()))


def default_milestones(threshold: int) -> tuple[int, ...]:
    """Each quarter of the threshold and the last 5, 2 and 1 before it, and the threshold.

    A quarter that is not a whole number is rounded up: the milestone "a quarter of 55"
    is due when at least a quarter is deposited, which is 14 (13.75 is not a count).
    Counts below 1 are dropped. 40 gives 10, 20, 30, 35, 38, 39, 40; 8 gives 2, 3, 4, 6,
    7, 8; 55 gives 14, 28, 42, 50, 53, 54, 55; 1 gives 1.
    """
    quarters = {-(-quarter * threshold // 4) for quarter in QUARTERS}  # ceiling division
    last = {threshold - before for before in LAST_BEFORE}
    return tuple(sorted(m for m in quarters | last | {threshold} if 1 <= m <= threshold))


def parse_milestones(text: str, threshold: int | None = None) -> tuple[int, ...]:
    """The milestones of a comma-separated list such as "10, 20, 30, 40", sorted.

    Raises ValueError with a message for the admin when an entry is not a whole number of
    1 or more, or (given ``threshold``) is above the threshold. Empty entries (a trailing
    comma) are ignored.
    """
    values = set()
    for entry in text.split(","):
        entry = entry.strip()
        if not entry:
            continue
        if not entry.isdigit() or int(entry) < 1:
            raise ValueError(
                f"“{entry}” is not a count of instruments: write whole numbers of 1 or more, "
                "separated by commas (e.g. 10, 20, 30, 40)."
            )
        if threshold is not None and int(entry) > threshold:
            raise ValueError(
                f"{entry} is above the threshold ({threshold}): a milestone is at most the threshold."
            )
        values.add(int(entry))
    return tuple(sorted(values))


def milestones_for(threshold: int | None, configured: str = "") -> tuple[int, ...]:
    """A treaty's milestones: its own list (with the threshold always added), or, when it
    has none, ``default_milestones``. An invalid stored list (the admin validates it, but
    the threshold may have been lowered since) keeps only its valid entries. A treaty
    without a rule yet (no threshold) has none."""
    if threshold is None:
        return ()
    if not (configured or "").strip():
        return default_milestones(threshold)
    try:
        chosen = set(parse_milestones(configured))
    except ValueError:
        chosen = {int(e) for e in configured.split(",") if e.strip().isdigit()}
    return tuple(sorted(m for m in chosen | {threshold} if 1 <= m <= threshold))


def threshold_alerts(status: Status, milestones: Iterable[int]) -> list[DueAlert]:
    """A milestone is due once the counted instruments reached it (milestones above the
    threshold are meaningless and ignored).

    The facts are those of the check: the email says what is true when it is sent (the
    count may have moved on), see tracker.alerts.emails.
    """
    return [
        DueAlert(
            key=f"threshold:{m}",
            kind=AlertKind.THRESHOLD,
            group="threshold",
            rank=m,
            facts=(
                ("milestone", m),
                ("threshold", status.threshold),
                ("counted", status.instruments_counted),
                ("remaining", status.remaining),
            ),
        )
        for m in sorted(set(milestones))
        if status.threshold is not None and m <= status.threshold and status.instruments_counted >= m
    ]


def deadline_alerts(status: Status, days_before: Iterable[int]) -> list[DueAlert]:
    """Countdown notices before the signature window closes, and one when it has closed.

    The deadline is in the key, so a moved deadline arms the notices again.
    """
    closes = status.signature_closes_on
    if closes is None or (status.signature_opens_on and status.as_of < status.signature_opens_on):
        return []
    if status.as_of > closes:
        return [DueAlert(f"deadline:{closes}:closed", AlertKind.DEADLINE, f"deadline:{closes}", 10_000,
                         (("closes_on", closes.isoformat()), ("days_left", "0")))]  # fmt: skip
    left = (closes - status.as_of).days
    return [
        DueAlert(
            key=f"deadline:{closes}:T-{n}",
            kind=AlertKind.DEADLINE,
            group=f"deadline:{closes}",
            rank=1_000 - n,  # the nearer the deadline, the more relevant
            facts=(("closes_on", closes.isoformat()), ("days_before", str(n)), ("days_left", str(left))),
            stale=n - left > DEADLINE_GRACE_DAYS,
        )
        for n in sorted(set(days_before), reverse=True)
        if left <= n
    ]


def entry_into_force_alerts(status: Status) -> list[DueAlert]:
    """The date fixed (the threshold instrument was deposited), and the day itself.

    When the date derives from an instrument dated "on or before" a day, the facts say so
    (``on_or_before``): the emails then give the date as the latest it can be, and the
    "in force" alert says the treaty is in force by that day at the latest, never that it
    entered into force on it.
    """
    day = status.entry_into_force_on
    if day is None:
        return []
    facts = (
        ("entry_into_force_on", day.isoformat()),
        ("threshold_reached_on", str(status.threshold_reached_on)),
        ("on_or_before", status.entry_into_force_on_or_before),
    )
    alerts = [DueAlert(f"entry-into-force:{day}:fixed", AlertKind.ENTRY_INTO_FORCE, f"eif:{day}", 1, facts)]
    if status.as_of >= day:
        alerts.append(DueAlert(f"entry-into-force:{day}:in-force", AlertKind.ENTRY_INTO_FORCE, f"eif:{day}", 2, facts))
    return alerts


def due_alerts(
    status: Status,
    milestones: Iterable[int] | None = None,
    deadline_days: Iterable[int] = DEFAULT_DEADLINE_DAYS,
) -> list[DueAlert]:
    """Every treaty-wide alert the status on ``status.as_of`` calls for; ``milestones``
    default to ``default_milestones`` of the status's threshold."""
    if milestones is None:
        milestones = default_milestones(status.threshold) if status.threshold is not None else ()
    return [
        *threshold_alerts(status, milestones),
        *deadline_alerts(status, deadline_days),
        *entry_into_force_alerts(status),
    ]


def split_new(due: Iterable[DueAlert], known_keys: set[str]) -> tuple[list[DueAlert], list[DueAlert]]:
    """Of the alerts not recorded yet, which to send and which to suppress.

    In each group only the most relevant new alert is sent, unless it is stale; the
    other new ones are suppressed (recorded too, so that they never fire later).
    """
    new = [alert for alert in due if alert.key not in known_keys]
    best: dict[str, DueAlert] = {}
    for alert in new:
        if not alert.stale and (alert.group not in best or alert.rank > best[alert.group].rank):
            best[alert.group] = alert
    send = [alert for alert in new if best.get(alert.group) is alert]
    return send, [alert for alert in new if best.get(alert.group) is not alert]


def participant_alert_key(action_id: int, event: str) -> str:
    """The key of "a followed participant acted": one per action and event (signed,
    deposited, withdrew); a later correction of the action is not news again."""
    return f"participant:{action_id}:{event}"
