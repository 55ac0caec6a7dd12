"""Invalidate cached statuses whenever the data they are computed from changes."""

import logging
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from tracker.selectors import DATA_VERSION_KEY

logger = logging.getLogger(__name__)

# Every model a page, a download or an API response shows.
WATCHED = {
    "tracker": ("Treaty", "Source", "Citation", "ReportedFigure"),
    "signatories": ("Participant", "ParticipantAlias", "Membership", "Action", "DomesticStep"),
}


def bump_data_version(**kwargs) -> None:
    """Move the data version on once the write commits, so no reader caches stale data."""

    # A fresh random token, not a counter: an evicted counter could restart at a number
    # that older entries still use.
    transaction.on_commit(publish_new_version)


def publish_new_version() -> None:
    from tracker.pagecache import forget_version

    cache.set(DATA_VERSION_KEY, new_version(), timeout=None)
    forget_version()


def new_version() -> str:
    """A random token with the time of the change, read back by selectors.data_changed_at."""
    return f"{uuid.uuid4().hex}:{time.time():.0f}"


def queue_alert_check(**kwargs) -> None:
    """After a recorded action commits, check the alerts at once rather than at the next beat."""
    transaction.on_commit(enqueue_check)


# Commits within this many seconds share one check: it runs after them all.
CHECK_DELAY = 2


def enqueue_check() -> None:
    """Queue one alert check for a burst of commits (a seed or an import saves many rows)."""
    from tracker.alerts.tasks import check_alerts

    if not cache.add("tracker:alert-check-queued", 1, timeout=CHECK_DELAY):
        return  # a check queued by an earlier commit runs after this one
    try:
        check_alerts.apply_async(countdown=CHECK_DELAY)
    except Exception:  # the broker is down: the periodic check will catch up
        logger.exception("could not queue the alert check")


def connect() -> None:
    from django.apps import apps

    for app_label, model_names in WATCHED.items():
        for model_name in model_names:
            model = apps.get_model(app_label, model_name)
            uid = f"tracker-data-version-{app_label}.{model_name}"
            post_save.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(bump_data_version, dispatch_uid="tracker-data-version-m2m")
    action = apps.get_model("signatories", "Action")
    post_save.connect(queue_alert_check, sender=action, dispatch_uid="tracker-alerts-action-save")
    post_delete.connect(queue_alert_check, sender=action, dispatch_uid="tracker-alerts-action-delete")
