"""Celery beat's schedule, kept in code so that it is reviewed like code.

Each entry says why it runs and sets ``expires`` so that a backlog (beat up while the
workers were down) does not run stale copies one after another.
"""

BEAT_SCHEDULE = {
    # The status of each treaty changes with the calendar even when no record changes
    # (a countdown, the day the Convention enters into force), so recompute it hourly
    # and keep it warm in the cache for the pages.
    "refresh-treaty-statuses": {
        "task": "tracker.tasks.refresh_statuses",
        "schedule": 60 * 60,
        "options": {"expires": 30 * 60},
    },
    # Alerts due by the calendar (a deadline notice, the day of entry into force) have
    # no write to trigger them; records trigger their own check when they commit.
    "check-alerts": {
        "task": "tracker.alerts.tasks.check_alerts",
        "schedule": 15 * 60,
        "options": {"expires": 10 * 60},
    },
    # Deliveries whose worker died are claimed again once their lease expires.
    "send-deliveries": {
        "task": "tracker.alerts.tasks.send_deliveries",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    "alerts-digest": {
        "task": "tracker.alerts.tasks.send_digest",
        "schedule": 24 * 60 * 60,
        "options": {"expires": 60 * 60},
    },
}
