"""Celery tasks of the alerts: thin shells around tracker.alerts.services."""

from celery import shared_task

from tracker.alerts import services


@shared_task(ignore_result=True)
def check_alerts() -> None:
    """Record the alerts that became due, fan them out, and start sending."""
    services.run_checks()
    services.expire_unconfirmed()
    send_deliveries.delay()


@shared_task(ignore_result=True)
def send_deliveries(rounds: int = 50) -> None:
    """Send pending deliveries, a claimed batch at a time, over one SMTP connection each.

    Stops when nothing is left to claim (or after ``rounds`` batches, then queues itself
    again so that a long fan-out does not hold one worker for ever).
    """
    for _ in range(rounds):
        ids = services.claim_deliveries()
        if not ids:
            return
        services.send_batch(ids)
    send_deliveries.delay(rounds)


@shared_task(ignore_result=True)
def send_digest() -> None:
    """The staff's daily digest of what was sent, suppressed and failed."""
    services.send_digest()
