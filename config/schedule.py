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
}
