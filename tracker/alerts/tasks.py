"""Celery tasks of the alerts: thin shells around tracker.alerts.services and
tracker.alerts.subscriptions."""

from celery import shared_task

from tracker.alerts import services, subscriptions

# Seconds before each retry of a confirmation email after a transient SMTP error.
CONFIRMATION_RETRY_SECONDS = (30, 120, 600, 1800)


@shared_task(ignore_result=True)
def check_alerts() -> None:
    """Record the alerts that became due, fan them out, and start sending."""
    services.run_checks()
    subscriptions.expire_unconfirmed()
    send_deliveries.delay()


@shared_task(ignore_result=True)
def send_deliveries(rounds: int = 50) -> None:
    """Fan out alerts left pending (a worker killed while fanning out), then send pending
    deliveries, a claimed batch at a time, over one SMTP connection each.

    Beat runs it every ALERT_SWEEP_SECONDS, which also picks up deliveries whose lease ran
    out and retries whose wait is over. Stops when nothing is left to claim (or after
    ``rounds`` batches, then queues itself again so that a long fan-out does not hold one
    worker for ever).
    """
    services.fan_out_pending()
    for _ in range(rounds):
        claim = services.claim_deliveries()
        if not claim:
            return
        services.send_batch(claim)
    send_deliveries.delay(rounds)


@shared_task(ignore_result=True)
def send_digest() -> None:
    """The staff's daily digest of what was sent, suppressed and failed."""
    services.send_digest()


@shared_task(bind=True, ignore_result=True, max_retries=len(CONFIRMATION_RETRY_SECONDS))
def send_confirmation(self, subscription_id: int) -> str:
    """Mail a subscription request its confirmation link (queued by subscriptions.subscribe
    once the request commits, so that the request never waits for the mail server).

    A transient SMTP error (no connection, a 4xx reply) is retried with backoff; the
    recipient's daily limit is counted on the first attempt only.
    """
    try:
        return subscriptions.send_confirmation(subscription_id, count=self.request.retries == 0)
    except OSError as error:  # smtplib's errors included
        if not subscriptions.transient(error):
            raise
        wait = CONFIRMATION_RETRY_SECONDS[min(self.request.retries, len(CONFIRMATION_RETRY_SECONDS) - 1)]
        raise self.retry(exc=error, countdown=wait)
