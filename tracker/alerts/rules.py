"""Which alerts are due for a treaty on a date, as a pure function of its status.

No Django here. Each alert has a stable key, so that the database can make "sent once" a
fact (a unique key per treaty). Alerts of one group (threshold milestones, the deadline
countdown, entry into force) that become due together are not all sent: only the most
relevant one is, and the others are recorded as suppressed. Deploying 39 days before the
deadline sends the 30-day notice, not the 90- and 60-day ones; importing 35 deposits at
once sends "35 of 40", not four emails.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tracker.rules import Status

DEFAULT_MILESTONES = (10, 20, 30, 35, 38, 39, 40)
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
    facts: tuple[tuple[str, str], ...] = ()
    stale: bool = False

    def fact(self, name: str) -> str:
        return dict(self.facts)[name]


def threshold_alerts(status: Status, milestones: Iterable[int]) -> list[DueAlert]:
    """A milestone is due once the counted instruments reached it (milestones above the
    threshold are meaningless and ignored)."""
    return [
        DueAlert(
            key=f"threshold:{m}",
            kind=AlertKind.THRESHOLD,
            group="threshold",
            rank=m,
            facts=(
                ("milestone", str(m)),
                ("threshold", str(status.threshold)),
                ("to_go", str(status.threshold - m)),
                ("counted", str(status.instruments_counted)),
            ),
        )
        for m in sorted(set(milestones))
        if m <= status.threshold and status.instruments_counted >= m
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
    """The date fixed (the threshold instrument was deposited), and the day itself."""
    day = status.entry_into_force_on
    if day is None:
        return []
    facts = (("entry_into_force_on", day.isoformat()), ("threshold_reached_on", str(status.threshold_reached_on)))
    alerts = [DueAlert(f"entry-into-force:{day}:fixed", AlertKind.ENTRY_INTO_FORCE, f"eif:{day}", 1, facts)]
    if status.as_of >= day:
        alerts.append(DueAlert(f"entry-into-force:{day}:in-force", AlertKind.ENTRY_INTO_FORCE, f"eif:{day}", 2, facts))
    return alerts


def due_alerts(
    status: Status,
    milestones: Iterable[int] = DEFAULT_MILESTONES,
    deadline_days: Iterable[int] = DEFAULT_DEADLINE_DAYS,
) -> list[DueAlert]:
    """Every treaty-wide alert the status on ``status.as_of`` calls for."""
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
