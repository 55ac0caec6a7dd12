"""Celery beat's schedule, kept in code so that it is reviewed like code.

``config.settings`` builds it with the intervals of its environment and hands it to Celery
as ``CELERY_BEAT_SCHEDULE``, which ``celery -A config beat`` (the Procfile's ``beat``)
loads. Each entry sets ``expires`` so that a backlog (beat up while the workers were
down) does not run stale copies one after another.
"""


def every(seconds: int, task: str) -> dict:
    """An entry that runs ``task`` every ``seconds``; a copy not started by two thirds of
    the interval is dropped, as the next one is due soon."""
    return {"task": task, "schedule": seconds, "options": {"expires": max(seconds * 2 // 3, 1)}}


def beat_schedule(*, check: int, sweep: int, refresh: int, digest: int, depositary: int) -> dict:
    """The periodic jobs, each at its interval in seconds."""
    return {
        # The status of each treaty changes with the calendar even when no record changes
        # (a countdown, the day the Convention enters into force): recompute it and keep
        # it warm in the cache for the pages.
        "refresh-treaty-statuses": every(refresh, "tracker.tasks.refresh_statuses"),
        # Alerts due by the calendar (a deadline notice, the day of entry into force) have
        # no write to trigger them, and the check queued when a record commits is only a
        # hint (the broker may be down at that moment): this is the guarantee.
        "check-alerts": every(check, "tracker.alerts.tasks.check_alerts"),
        # Alerts a killed worker left half fanned out, deliveries whose lease ran out, and
        # retries after a transient SMTP error whose wait is over.
        "send-deliveries": every(sweep, "tracker.alerts.tasks.send_deliveries"),
        # The staff's digest of what was sent, suppressed and failed.
        "alerts-digest": every(digest, "tracker.alerts.tasks.send_digest"),
        # Every treaty's depositary page, read and imported: a new deposit reaches the
        # records, and the subscribers, the day the depositary records it.
        "sync-depositary": every(depositary, "tracker.sync.tasks.sync_depositary"),
    }
