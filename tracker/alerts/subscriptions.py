"""Writes of the subscriptions: a request to subscribe, its confirmation email, its
confirmation, the kinds of alerts wanted, unsubscribing, expiry. The subscription pages
and the admin write through these, never with a model's or a form's save.

A request never waits for the mail server. ``subscribe`` records the request with the
same statements whether or not the address is known, and queues the ``send_confirmation``
task once they commit; the task decides whether anything is sent:

- nothing to an address that is already confirmed (only the links in its own emails
  change its preferences);
- nothing past ``CONFIRMATIONS_PER_DAY`` emails to one address in a day, so that nobody
  can flood someone else's inbox with confirmation requests (the form's answer is the
  same: it tells nobody whether the address is known or was limited);
- otherwise a new confirmation link.

The counts are ``tracker.counters`` (Redis, else a database table): every web worker and
Celery worker shares them.
"""

import hashlib
import logging
import smtplib
import time
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker import counters
from tracker.alerts.models import ALL_KINDS, Subscription

logger = logging.getLogger(__name__)

CONFIRMATIONS_PER_DAY = 3  # confirmation emails to one address per (UTC) day
DAY = 24 * 60 * 60


def normalize(email: str) -> str:
    return email.strip().lower()


def subscribe(email: str, treaty, participant=None, kinds: dict[str, bool] | None = None) -> int:
    """Record a request to subscribe ``email`` and queue its confirmation; the subscription's id.

    A new address gets a row; an unconfirmed or unsubscribed one is asked to confirm
    again, with the kinds now chosen (and a new week to do it); a confirmed one is left
    as it is. The same three statements run in every case, so the answer takes the same
    time whether or not the address is known.
    """
    email = normalize(email)
    kinds = kinds or {f"wants_{kind}": True for kind in ALL_KINDS}
    with transaction.atomic():
        requested = Subscription(email=email, treaty=treaty, participant=participant, **kinds)
        Subscription.objects.bulk_create([requested], ignore_conflicts=True)
        row = Subscription.objects.filter(email=email, treaty=treaty, participant=participant)
        row.filter(Q(confirmed_at__isnull=True) | Q(unsubscribed_at__isnull=False)).update(
            confirmed_at=None, unsubscribed_at=None, created_at=timezone.now(), **kinds
        )
        subscription_id = row.values_list("pk", flat=True).get()
        transaction.on_commit(partial(queue_confirmation, subscription_id))
    return subscription_id


def confirm(subscription: Subscription) -> bool:
    """Confirm a subscription request (and undo an unsubscription); False if it was
    confirmed already, which changes nothing."""
    if subscription.confirmed_at is not None:
        return False
    subscription.confirmed_at = timezone.now()
    subscription.unsubscribed_at = None
    subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
    return True


def unsubscribe(subscription: Subscription) -> bool:
    """Stop a subscription's alerts at once; False if it was stopped already."""
    if subscription.unsubscribed_at is not None:
        return False
    subscription.unsubscribed_at = timezone.now()
    subscription.save(update_fields=["unsubscribed_at"])
    return True


def set_kinds(subscription: Subscription, kinds: dict[str, bool]) -> Subscription:
    """Choose the kinds of alerts a subscription receives (``{"wants_threshold": True, …}``)."""
    fields = [f"wants_{kind}" for kind in ALL_KINDS]
    unknown = set(kinds) - set(fields)
    if unknown:
        raise ValueError(f"not kinds of alerts: {', '.join(sorted(unknown))}")
    for name, wanted in kinds.items():
        setattr(subscription, name, bool(wanted))
    subscription.save(update_fields=list(kinds))
    return subscription


def save_subscription(subscription: Subscription) -> Subscription:
    """Save a subscription edited by staff, after checking every invariant of the model."""
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscriptions(subscriptions) -> int:
    """Delete subscriptions (instances or a queryset), with their deliveries."""
    deleted, _ = Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
    return deleted


def queue_confirmation(subscription_id: int) -> None:
    """Queue the confirmation email. A broker that is down is logged, not raised: the
    request is answered all the same (and the person can ask again)."""
    from tracker.alerts.tasks import send_confirmation

    try:
        # Fail fast: a request must not hang on a broker that is down.
        send_confirmation.apply_async(
            (subscription_id,), retry_policy={"max_retries": 1, "interval_start": 0.2}
        )
    except Exception:
        logger.exception("could not queue the confirmation email of subscription %s", subscription_id)


def recipient_key(email: str, now: float | None = None) -> str:
    """The counter of today's confirmation emails to ``email`` (hashed: no address in Redis)."""
    digest = hashlib.sha256(normalize(email).encode()).hexdigest()[:32]
    window = int((time.time() if now is None else now) // DAY)
    return f"tracker:alerts:confirmations:{digest}:{window}"


def send_confirmation(subscription_id: int, *, count: bool = True) -> str:
    """Mail the confirmation link of a subscription request, unless there is nothing to
    confirm or the address had its CONFIRMATIONS_PER_DAY today.

    Returns what happened: "sent", "gone" (expired or deleted), "confirmed" or "limited".
    ``count`` is False for a retry after a transient SMTP error: the first attempt
    counted this email already. SMTP errors are raised for the task to retry.
    """
    from tracker.alerts.emails import confirmation_message

    found = Subscription.objects.select_related("treaty", "participant").filter(pk=subscription_id)
    subscription = found.first()
    if subscription is None:
        return "gone"
    if subscription.active:
        return "confirmed"
    if count and counters.incr(recipient_key(subscription.email), DAY) > CONFIRMATIONS_PER_DAY:
        logger.info("confirmation to subscription %s not sent: the address had %s today",
                    subscription_id, CONFIRMATIONS_PER_DAY)  # fmt: skip
        return "limited"
    confirmation_message(subscription).send()
    return "sent"


def transient(error: Exception) -> bool:
    """Whether sending again later may work: no connection, a timeout, a 4xx reply."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    return isinstance(error, OSError)  # smtplib's errors are OSErrors too


def expire_unconfirmed(now=None) -> int:
    """Delete subscription requests nobody confirmed within the link's lifetime."""
    from tracker.alerts.emails import CONFIRM_MAX_AGE

    cutoff = (now or timezone.now()) - timedelta(seconds=CONFIRM_MAX_AGE)
    deleted, _ = Subscription.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    return deleted
