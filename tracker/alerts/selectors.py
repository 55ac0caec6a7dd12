"""Reads of the alerts: what is due at a check, with the facts found then, and what is true
when an email is sent.

``due_alerts`` is what ``services.check_treaty`` records: the pure rules
(tracker.alerts.rules) on the treaty's status and milestones, with the deposits recorded
since the previous alert of each kind. ``send_time_facts`` is what the emails say about
the count and the date of entry into force: computed when they are sent, once per treaty
per batch (tracker.alerts.emails.SendTimeFacts), never taken from the check.
"""

from datetime import date

from django.db.models import Q

from signatories.models import CONSENT_VALUES, Action, Participant
from tracker import rules as treaty_rules
from tracker.alerts import rules
from tracker.alerts.models import Alert
from tracker.models import DatePrecision, Treaty
from tracker.selectors import treaty_status

# The kinds whose emails list who deposited since the previous alert of the kind.
DEPOSIT_NEWS_KINDS = (rules.AlertKind.THRESHOLD, rules.AlertKind.ENTRY_INTO_FORCE)


def due_alerts(treaty: Treaty, today: date) -> list[rules.DueAlert]:
    """Every treaty-wide alert due on ``today``, on the treaty's own milestones, each of a
    kind in DEPOSIT_NEWS_KINDS with the fact ``deposited_since``."""
    due = rules.due_alerts(treaty_status(treaty, today), treaty.milestones)
    news = {
        kind: deposits_since_previous_alert(treaty, kind, today)
        for kind in DEPOSIT_NEWS_KINDS
        if any(alert.kind == kind for alert in due)
    }
    return [
        alert.with_facts(deposited_since=news[alert.kind]) if alert.kind in news else alert for alert in due
    ]


def deposits_since_previous_alert(treaty: Treaty, kind: str, today: date) -> tuple[dict, ...]:
    """The instruments (and definitive signatures: consent to be bound) in effect on
    ``today`` that were recorded after the previous alert of ``kind`` (one that went out:
    a suppressed alert told nobody), oldest first.

    With no previous alert, every one in effect: what the count is made of. Each is
    ``{"participant", "kind", "date", "on_or_before", "counted"}``, ``counted`` False for
    an organization's instrument that does not add to its member States'.
    """
    previous = (
        Alert.objects.filter(treaty=treaty, kind=kind)
        .exclude(state=Alert.State.SUPPRESSED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    deposits = Action.objects.filter(treaty=treaty, kind__in=CONSENT_VALUES, date__lte=today).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today)
    )
    if previous is not None:
        deposits = deposits.filter(created_at__gt=previous)
    rows = deposits.order_by("date", "participant__name").values_list(
        "participant__name", "participant__kind", "kind", "date", "date_precision"
    )
    return tuple(
        {
            "participant": name,
            "kind": kind.replace("_", " "),
            "date": day.isoformat(),
            "on_or_before": precision == DatePrecision.ON_OR_BEFORE,
            "counted": treaty.reio_counts_as_additional or participant_kind != Participant.Kind.REIO,
        }
        for name, participant_kind, kind, day, precision in rows
    )


def send_time_facts(treaty: Treaty, today: date | None = None) -> dict:
    """The treaty's figures today (in its time zone), as the emails state them."""
    status = treaty_status(treaty, today)
    return status_facts(status)


def status_facts(status: treaty_rules.Status) -> dict:
    reached = status.threshold_reached_on is not None
    return {
        "as_of": status.as_of,
        "threshold": status.threshold,
        "counted": status.instruments_counted,
        "deposited": status.instruments_deposited,
        "remaining": status.remaining,
        "reached": reached,
        "threshold_reached_on": status.threshold_reached_on,
        "threshold_reached_on_or_before": status.threshold_reached_on_or_before,
        "entry_into_force_on": status.entry_into_force_on,
        "on_or_before": status.entry_into_force_on_or_before,
        "in_force": status.in_force,
        "signature_closes_on": status.signature_closes_on,
    }
