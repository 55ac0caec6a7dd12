"""Writes of the alerts: record what is due, fan it out to subscribers, send each once.

1. ``check_treaty`` asks the pure rules what the status calls for, records the new
   alerts (a unique key per treaty: two checks at once record each alert once) and marks
   all but the most relevant of a group as suppressed.
2. ``fan_out`` claims a pending alert with ``UPDATE … WHERE fanned_out_at IS NULL`` (one
   worker wins) and creates a delivery per active subscriber who wants that kind.
3. ``claim_deliveries`` hands a batch of deliveries to one worker for a lease; a worker
   that dies leaves them to be claimed again once the lease expires. ``send_batch``
   sends them over one SMTP connection and records each outcome.
"""

import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from signatories.models import Action
from tracker.alerts import rules
from tracker.alerts.emails import build_message, smtp_connection
from tracker.alerts.models import Alert, Delivery, Subscription
from tracker.models import Treaty
from tracker.selectors import treaty_status

LEASE = timedelta(minutes=5)
BATCH = 200
MAX_ATTEMPTS = 5
# Seconds to wait before retry n (1-based) after a transient SMTP error.
BACKOFF = (30, 120, 600, 3600)
# SMTP replies that will not get better by trying again: the address or the message is
# refused with a 5xx code (a 4xx one, such as greylisting, is retried; see permanent()).
PERMANENT_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class CheckReport:
    """What a check found due, and what it recorded to send and to suppress."""

    treaty: str
    due: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)


def check_treaty(treaty: Treaty, today: date, *, dry_run: bool = False) -> CheckReport:
    """Record the treaty's newly due alerts (nothing is written on a dry run)."""
    due = rules.due_alerts(treaty_status(treaty, today))
    known = set(Alert.objects.filter(treaty=treaty).values_list("key", flat=True))
    send, suppress = rules.split_new(due, known)
    participant_alerts = participant_events(treaty, known)
    report = CheckReport(treaty.slug, [a.key for a in due], [a.key for a in send] + [a.key for a, _ in participant_alerts])
    report.suppressed = [a.key for a in suppress]
    if not dry_run:
        rows = [alert_row(treaty, a, Alert.State.PENDING) for a in send]
        rows += [alert_row(treaty, a, Alert.State.SUPPRESSED) for a in suppress]
        rows += [alert_row(treaty, a, Alert.State.PENDING, action) for a, action in participant_alerts]
        # ignore_conflicts: another check that got there first already recorded it.
        Alert.objects.bulk_create(rows, ignore_conflicts=True)
    return report


def alert_row(treaty: Treaty, due: rules.DueAlert, state: str, action: Action | None = None) -> Alert:
    return Alert(
        treaty=treaty,
        key=due.key,
        kind=due.kind.value,
        facts=dict(due.facts),
        state=state,
        participant_id=action.participant_id if action else None,
        action=action,
    )


def participant_events(treaty: Treaty, known: set[str]) -> list[tuple[rules.DueAlert, Action]]:
    """A "participant acted" alert for each action of a followed participant not yet alerted."""
    followed = Subscription.objects.filter(treaty=treaty, participant__isnull=False, confirmed_at__isnull=False)
    actions = Action.objects.filter(treaty=treaty, participant__in=followed.values("participant"))
    found = []
    for action in actions.select_related("participant"):
        events = ["withdrew"] if action.withdrawn_on else []
        events.insert(0, "signed" if action.is_signature else "deposited")
        for event in events:
            key = rules.participant_alert_key(action.pk, event)
            if key not in known:
                facts = (("event", event), ("participant", action.participant.name), ("kind", action.kind),
                         ("date", (action.withdrawn_on if event == "withdrew" else action.date).isoformat()))  # fmt: skip
                found.append((rules.DueAlert(key, rules.AlertKind.PARTICIPANT, key, 0, facts), action))
    return found


def fan_out(alert_id: int) -> int:
    """Create the alert's deliveries, if this worker wins the claim; returns how many.

    The claim and the deliveries commit together: a worker that dies half-way leaves
    the alert pending, with no delivery, for the next check to fan out whole. (Another
    worker's claim waits for this transaction, then finds the alert taken.)
    """
    now = timezone.now()
    with transaction.atomic():
        won = Alert.objects.filter(pk=alert_id, state=Alert.State.PENDING, fanned_out_at__isnull=True).update(
            fanned_out_at=now, state=Alert.State.FANNED_OUT
        )
        if not won:
            return 0
        alert = Alert.objects.select_related("action").get(pk=alert_id)
        created = 0
        batch: list[Delivery] = []
        for subscription_id in recipients(alert).values_list("pk", flat=True).iterator(chunk_size=5000):
            batch.append(Delivery(alert_id=alert.pk, subscription_id=subscription_id))
            if len(batch) == 5000:
                created += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
                batch = []
        created += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def recipients(alert: Alert):
    """Active subscribers of the alert's treaty who want its kind.

    A participant's action goes to those following that participant who subscribed
    before it was recorded: a new follower is not sent the past.
    """
    active = Subscription.objects.filter(
        treaty_id=alert.treaty_id, confirmed_at__isnull=False, unsubscribed_at__isnull=True,
        **{f"wants_{alert.kind}": True},
    )  # fmt: skip
    if alert.kind != rules.AlertKind.PARTICIPANT:
        return active
    action = alert.action
    if action is None:
        since = alert.created_at
    else:  # a withdrawal is a later change of the action; the rest came with the record
        since = action.updated_at if alert.facts.get("event") == "withdrew" else action.created_at
    return active.filter(participant_id=alert.participant_id, confirmed_at__lt=since)


def claimable(now) -> Q:
    open_pending = Q(status=Delivery.Status.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    abandoned = Q(status=Delivery.Status.SENDING, lease_until__lt=now)
    return open_pending | abandoned


def claim_deliveries(limit: int = BATCH) -> list[int]:
    """Give this worker up to ``limit`` deliveries for a lease; no other worker gets them."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(claimable(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        # The same condition again: on a database without row locks, a row another
        # worker claimed in between no longer matches, and is not claimed twice.
        Delivery.objects.filter(pk__in=ids).filter(claimable(now)).update(
            status=Delivery.Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return list(
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING, lease_until=now + LEASE).values_list(
            "pk", flat=True
        )
    )


def send_batch(ids: list[int]) -> dict[str, int]:
    """Send the claimed deliveries over one SMTP connection; record each outcome."""
    outcome = {"sent": 0, "retry": 0, "failed": 0}
    deliveries = Delivery.objects.filter(pk__in=ids).select_related("alert__treaty", "subscription__participant")
    with smtp_connection() as connection:
        for delivery in deliveries:
            outcome[send_one(delivery, connection)] += 1
    return outcome


def send_one(delivery: Delivery, connection) -> str:
    try:
        build_message(delivery, connection).send()
    except PERMANENT_ERRORS as error:
        if permanent(error):
            return finish(delivery, Delivery.Status.FAILED, error=repr(error))
        return retry(delivery, error)
    except (smtplib.SMTPException, OSError) as error:
        return retry(delivery, error)
    return finish(delivery, Delivery.Status.SENT)


def permanent(error: smtplib.SMTPException) -> bool:
    """A 5xx reply is final; a 4xx one (greylisting, a full mailbox) is worth trying again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
    else:
        codes = [getattr(error, "smtp_code", 500)]
    return all(code >= 500 for code in codes)


def retry(delivery: Delivery, error: Exception) -> str:
    """Put the delivery back for a later attempt, or give up after MAX_ATTEMPTS."""
    if delivery.attempts >= MAX_ATTEMPTS:
        return finish(delivery, Delivery.Status.FAILED, error=f"gave up after {delivery.attempts} attempts: {error!r}")
    wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, not_before=timezone.now() + timedelta(seconds=wait), error=repr(error)
    )
    return "retry"


def finish(delivery: Delivery, status: str, error: str = "") -> str:
    fields = {"status": status, "error": error, "lease_until": None}
    if status == Delivery.Status.SENT:
        fields["sent_at"] = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(**fields)
    return "sent" if status == Delivery.Status.SENT else "failed"


def pending_alert_ids() -> list[int]:
    return list(Alert.objects.filter(state=Alert.State.PENDING, fanned_out_at__isnull=True).values_list("pk", flat=True))


def run_checks(today_of=Treaty.local_date, *, dry_run: bool = False) -> list[CheckReport]:
    """Check every treaty on its own calendar's today, then fan out what became pending."""
    reports = [check_treaty(treaty, today_of(treaty), dry_run=dry_run) for treaty in Treaty.objects.all()]
    if not dry_run:
        for alert_id in pending_alert_ids():
            fan_out(alert_id)
    return reports


def digest_counts(since) -> dict:
    """What happened to alerts and deliveries since ``since``."""
    from django.db.models import Count

    alerts = Alert.objects.filter(created_at__gte=since)
    return {
        "alerts": dict(alerts.values_list("state").annotate(n=Count("pk")).values_list("state", "n")),
        "deliveries": dict(
            Delivery.objects.filter(created_at__gte=since)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        ),
        "failed": list(
            Delivery.objects.filter(status=Delivery.Status.FAILED, created_at__gte=since)
            .select_related("alert", "subscription")[:50]
        ),
        "suppressed": list(alerts.filter(state=Alert.State.SUPPRESSED).values_list("key", flat=True)),
    }


def send_digest(now=None) -> bool:
    """Mail the staff (settings.ALERT_DIGEST_TO) the last day's alerts; False if nobody is set."""
    from django.conf import settings
    from django.core.mail import send_mail

    if not settings.ALERT_DIGEST_TO:
        return False
    now = now or timezone.now()
    counts = digest_counts(now - timedelta(days=1))
    lines = [f"Alerts since {now - timedelta(days=1):%Y-%m-%d %H:%M} UTC"]
    lines += [f"  alerts {state}: {n}" for state, n in sorted(counts["alerts"].items())]
    lines += [f"  deliveries {status}: {n}" for status, n in sorted(counts["deliveries"].items())]
    lines += [f"  suppressed: {key}" for key in counts["suppressed"]]
    lines += [f"  failed: {d.alert.key} to {d.subscription.email}: {d.error}" for d in counts["failed"]]
    send_mail("Treaty tracker: alerts of the last day", "\n".join(lines), None, settings.ALERT_DIGEST_TO)
    return True


def subscribe(email: str, treaty_slug: str, participant_key: str = "", kinds: dict | None = None) -> None:
    """Record a subscription request and mail its confirmation link.

    An address that is already confirmed gets nothing (and nothing changes): only the
    links in its own emails change its preferences. An unconfirmed or unsubscribed one
    gets a new confirmation link.
    """
    from signatories.selectors import ParticipantIndex
    from tracker.alerts.emails import confirmation_message

    treaty = Treaty.objects.get(slug=treaty_slug)
    participant = ParticipantIndex().get(participant_key) if participant_key else None
    subscription, created = Subscription.objects.get_or_create(
        email=email.strip().lower(), treaty=treaty, participant=participant, defaults=kinds or {}
    )
    if subscription.active:
        return
    if not created:
        Subscription.objects.filter(pk=subscription.pk).update(confirmed_at=None, unsubscribed_at=None, **(kinds or {}))
    confirmation_message(subscription).send()


def expire_unconfirmed(now=None) -> int:
    """Delete subscription requests nobody confirmed within the link's lifetime."""
    from tracker.alerts.emails import CONFIRM_MAX_AGE

    cutoff = (now or timezone.now()) - timedelta(seconds=CONFIRM_MAX_AGE)
    deleted, _ = Subscription.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    return deleted
