"""Writes of the alerts: record what is due, fan it out to subscribers, send each once.

1. ``check_treaty`` asks the pure rules what the status calls for, records the new
   alerts (a unique key per treaty: two checks at once record each alert once) and marks
   all but the most relevant of a group as suppressed.
2. ``fan_out`` claims a pending alert with ``UPDATE … WHERE fanned_out_at IS NULL`` (one
   worker wins) and creates a delivery per active subscriber who wants that kind.
3. ``claim_deliveries`` hands a batch of deliveries to one worker for a lease, under a
   token of its own; a worker that dies leaves them to be claimed again once the lease
   expires. ``send_batch`` sends them over one SMTP connection, checks the lease before
   each message, and records each outcome only where it still holds the claim. A
   transient SMTP error is retried with backoff, each attempt's error kept on record.

What a worker that dies leaves behind (the duplicate guarantee). Each email is recorded
as sent by its own conditional UPDATE (``record_sent``: … WHERE claim = this worker's
token AND status = 'sending'), committed after the server's 250 to its message and
before the next email's message is sent (through SMTP, while the server answers the next
email's MAIL FROM, RCPT TO and DATA, pipelined: tracker.alerts.smtp). So at any moment at
most one email is accepted by the server yet not recorded: the one in flight. A worker killed
- before that email's final dot: the server drops it (no 250, nothing delivered); the
  delivery is still 'sending' and is claimed again once its lease runs out: sent once;
- after the 250, before the UPDATE commits: that one email is sent again after the lease
  (the one exception the guarantee allows); every earlier email of the batch is 'sent';
- after the UPDATE: nothing is sent again.
Marking a batch sent with one UPDATE … RETURNING after several 250s was considered and
not done: a worker killed between them would leave every accepted but unmarked email of
the batch to be sent again, not just the one in flight. Its saving (a commit per email) is
mostly had anyway, as each commit overlaps the server's answer to the next envelope.
"""

import functools
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from signatories.models import Action
from tracker.alerts import rules, selectors
from tracker.alerts.emails import build_message, smtp_connection
from tracker.alerts.models import Alert, Delivery, DeliveryAttempt, Subscription
from tracker.alerts.smtp import SmtpBatch
from tracker.models import Treaty
from tracker.sync.models import DepositarySync

BATCH = 200
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
    due = selectors.due_alerts(treaty, today)  # per-treaty milestones; deposits since the last alert
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


def lease() -> timedelta:
    return timedelta(seconds=settings.ALERT_LEASE_SECONDS)


def claimable(now) -> Q:
    open_pending = Q(status=Delivery.Status.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    abandoned = Q(status=Delivery.Status.SENDING, lease_until__lt=now)
    return open_pending | abandoned


@dataclass
class Claim:
    """Deliveries one worker holds: their ids, its token, and until when it holds them."""

    token: uuid.UUID
    ids: list[int]
    until: datetime

    def __bool__(self) -> bool:
        return bool(self.ids)


def claim_deliveries(limit: int = BATCH) -> Claim:
    """Give this worker up to ``limit`` deliveries for a lease; no other worker gets them."""
    now, token = timezone.now(), uuid.uuid4()
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
            status=Delivery.Status.SENDING, lease_until=now + lease(), attempts=F("attempts") + 1, claim=token
        )
    return Claim(token, list(Delivery.objects.filter(claim=token).order_by("pk").values_list("pk", flat=True)),
                 now + lease())  # fmt: skip


def renew(claim: Claim) -> set[int]:
    """Extend the lease of what this worker still holds; the ids it still holds.

    A delivery whose lease ran out may have been claimed by another worker (its token
    replaced this one's): it is no longer this worker's to send.
    """
    now = timezone.now()
    held = Delivery.objects.filter(pk__in=claim.ids, claim=claim.token, status=Delivery.Status.SENDING)
    held.update(lease_until=now + lease())
    claim.until = now + lease()
    return set(held.values_list("pk", flat=True))


def send_batch(claim: Claim) -> dict[str, int]:
    """Send the claimed deliveries over one SMTP connection; record each outcome.

    The lease is checked before every message and renewed once a quarter of it is left,
    so a slow relay cannot let the lease run out unnoticed while another worker sends the
    same tail again. What the emails of the batch share (the treaty's figures, each
    alert's rendered parts and MIME skeleton) is built once, on the connection's
    ``SendTimeFacts``; each email adds only its recipient's headers and links. Through
    Django's SMTP backend the emails go by ``send_over_smtp``; through any other backend
    (the tests' outbox, files) one ``send()`` each.
    """
    outcome = {"sent": 0, "retry": 0, "failed": 0, "lost": 0}
    deliveries = Delivery.objects.filter(pk__in=claim.ids).select_related(
        "alert__treaty", "subscription__participant"
    ).order_by("pk")
    held = Held(claim)
    with smtp_connection() as connection:
        if isinstance(connection, SMTPBackend):
            send_over_smtp(deliveries, held, connection, outcome)
            return outcome
        for delivery in deliveries:
            if delivery.pk not in held:
                outcome["lost"] += 1
                continue
            outcome[send_one(delivery, connection, claim.token)] += 1
    return outcome


class Held:
    """The deliveries a worker still holds of its claim: asked before each message, it
    renews the lease first once a quarter of it is left."""

    def __init__(self, claim: Claim):
        self.claim, self.ids = claim, set(claim.ids)

    def __contains__(self, delivery_id: int) -> bool:
        if timezone.now() > self.claim.until - lease() / 4:
            self.ids = renew(self.claim)
        return delivery_id in self.ids


def send_over_smtp(deliveries, held: Held, connection, outcome: dict[str, int]) -> None:
    """Send each delivery in two round trips, doing the worker's own work (recording the
    previous email, building the next) while the server answers: see SmtpBatch."""
    token = held.claim.token
    batch = SmtpBatch(connection, outcome, record=lambda delivery_id: record_sent(delivery_id, token),
                      failed=lambda delivery, error: failed(delivery, connection, token, error))  # fmt: skip
    try:
        for delivery in deliveries:
            if delivery.pk not in held:
                outcome["lost"] += 1
                continue
            batch.send(delivery)
    finally:
        batch.close()


def send_one(delivery: Delivery, connection, token) -> str:
    """Send one delivery; "sent", "retry" or "failed" as recorded (or "lost" if it was not
    this worker's any more when the outcome came)."""
    try:
        build_message(delivery, connection).send()
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors too
        return failed(delivery, connection, token, error)
    return finish(delivery, token, Delivery.Status.SENT)


def failed(delivery: Delivery, connection, token, error: Exception) -> str:
    """Record a failed attempt: for good after a 5xx reply or an address no email can be
    sent to (ValueError: Django refuses it), else to be retried; a connection the server
    broke is opened again for the next message."""
    if isinstance(error, ValueError):
        return fail(delivery, token, error, repr(error))
    if broken(error) or closed(connection):
        reconnect(connection)  # the next message gets a new connection
    if isinstance(error, PERMANENT_ERRORS) and permanent(error):
        return fail(delivery, token, error, repr(error))
    return retry(delivery, token, error)


def closed(connection) -> bool:
    """Whether smtplib closed the connection itself (after a 421 reply, or a hang-up)."""
    smtp = getattr(connection, "connection", None)
    return isinstance(smtp, smtplib.SMTP) and smtp.sock is None


def broken(error: OSError) -> bool:
    """Whether the connection is gone (the server hung up, the network failed), rather than
    a reply the server gave on a connection that still works."""
    return isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException)


def reconnect(connection) -> None:
    """Replace a connection the server broke with a new one for the rest of the batch (if
    that fails too, the backend tries again for the next message)."""
    try:
        connection.close()
    except Exception:  # closing a broken connection can fail too; it is dropped either way
        pass
    connection.connection = None
    try:
        connection.open()
    except OSError:
        pass


def permanent(error: smtplib.SMTPException) -> bool:
    """A 5xx reply is final; a 4xx one (greylisting, a full mailbox) is worth trying again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
    else:
        codes = [getattr(error, "smtp_code", 500)]
    return all(code >= 500 for code in codes)


def retry_wait(attempts: int) -> int:
    """Seconds before the next attempt after ``attempts`` failed ones (the last wait repeats)."""
    backoff = settings.ALERT_RETRY_BACKOFF
    return backoff[min(attempts, len(backoff)) - 1]


def retry(delivery: Delivery, token, error: Exception) -> str:
    """Put the delivery back for a later attempt, keeping this attempt's error; give up only
    once ALERT_RETRY_FOR_SECONDS have passed since it was created."""
    now = timezone.now()
    if now - delivery.created_at > timedelta(seconds=settings.ALERT_RETRY_FOR_SECONDS):
        return fail(delivery, token, error, f"gave up after {delivery.attempts} attempts: {error!r}")
    retry_at = now + timedelta(seconds=retry_wait(delivery.attempts))
    held = Delivery.objects.filter(pk=delivery.pk, claim=token, status=Delivery.Status.SENDING)
    if not held.update(status=Delivery.Status.PENDING, not_before=retry_at, error=repr(error), lease_until=None):
        return "lost"
    record_attempt(delivery, error, retry_at)
    return "retry"


def fail(delivery: Delivery, token, error: Exception, reason: str) -> str:
    """Record the delivery as failed for good, with this last attempt's error."""
    outcome = finish(delivery, token, Delivery.Status.FAILED, error=reason)
    if outcome != "lost":
        record_attempt(delivery, error, retry_at=None)
    return outcome


def record_attempt(delivery: Delivery, error: Exception, retry_at) -> None:
    """Keep this failed attempt's error for good, whatever the next attempt brings."""
    DeliveryAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, at=timezone.now(), error=repr(error), retry_at=retry_at
    )


def finish(delivery: Delivery, token, status: str, error: str = "") -> str:
    """Record the outcome, if this worker still holds the delivery. A success keeps the
    error of the attempt before it."""
    if status == Delivery.Status.SENT and not error:
        return "sent" if record_sent(delivery.pk, token) else "lost"
    fields = {"status": status, "lease_until": None}
    if error:
        fields["error"] = error
    if status == Delivery.Status.SENT:
        fields["sent_at"] = timezone.now()
    changed = Delivery.objects.filter(pk=delivery.pk, claim=token, status=Delivery.Status.SENDING).update(**fields)
    if not changed:
        return "lost"
    return "sent" if status == Delivery.Status.SENT else "failed"


def record_sent(delivery_id: int, token) -> bool:
    """Record one delivery as sent, if this worker still holds it: the one conditional
    UPDATE per email that the duplicate guarantee rests on, committed (autocommit) before
    the next email is sent. The same statement as ``finish``'s queryset update, written
    out once: building it through the ORM was a sixth of the CPU time of each email."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sent_sql(), [
            db_value("status", Delivery.Status.SENT), db_value("sent_at", now),
            delivery_id, db_value("claim", token), db_value("status", Delivery.Status.SENDING),
        ])  # fmt: skip
        return cursor.rowcount == 1


@functools.cache
def sent_sql() -> str:
    quote, table = connection.ops.quote_name, Delivery._meta.db_table
    column = {name: quote(Delivery._meta.get_field(name).column) for name in ("status", "lease_until", "sent_at", "id", "claim")}
    return (
        f"UPDATE {quote(table)} SET {column['status']} = %s, {column['lease_until']} = NULL, {column['sent_at']} = %s "
        f"WHERE {column['id']} = %s AND {column['claim']} = %s AND {column['status']} = %s"
    )


def db_value(field: str, value):
    return Delivery._meta.get_field(field).get_db_prep_value(value, connection)


def pending_alert_ids() -> list[int]:
    return list(Alert.objects.filter(state=Alert.State.PENDING, fanned_out_at__isnull=True).values_list("pk", flat=True))


def run_checks(today_of=Treaty.local_date, *, dry_run: bool = False) -> list[CheckReport]:
    """Check every treaty on its own calendar's today, then fan out what became pending."""
    reports = [check_treaty(treaty, today_of(treaty), dry_run=dry_run) for treaty in Treaty.objects.all()]
    if not dry_run:
        fan_out_pending()
    return reports


def fan_out_pending() -> int:
    """Fan out every alert still pending; the deliveries created."""
    return sum(fan_out(alert_id) for alert_id in pending_alert_ids())


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
    lines += depositary_lines(now - timedelta(days=1))
    send_mail("Treaty tracker: alerts of the last day", "\n".join(lines), None, settings.ALERT_DIGEST_TO)
    return True



def depositary_lines(since) -> list[str]:
    """The digest's part on the depositary sync: each read that failed since ``since``, and
    how many changed something, so that staff see a broken sync the day it breaks."""
    reads = DepositarySync.objects.filter(started_at__gte=since).select_related("treaty").order_by("started_at")
    failed = [read for read in reads if read.failed]
    lines = [f"Depositary reads since {since:%Y-%m-%d %H:%M} UTC: {len(reads)}, "
             f"{sum(r.outcome == DepositarySync.Outcome.CHANGED for r in reads)} with changes, {len(failed)} failed"]
    lines += [
        f"  failed: {read.treaty.slug} at {read.started_at:%Y-%m-%d %H:%M}: {read.get_outcome_display()}: "
        f"{(read.error.splitlines() or [''])[0][:300]}"
        for read in failed
    ]
    return lines
