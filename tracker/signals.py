"""Invalidate cached statuses whenever the data they are computed from changes, and check
the alerts after a recorded action commits."""

import logging

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from tracker import dataversion, safe_cache

logger = logging.getLogger(__name__)

# Every model a page, a download or an API response shows.
WATCHED = {
    "tracker": ("Treaty", "Source", "Citation", "ReportedFigure"),
    "signatories": ("Participant", "ParticipantAlias", "Membership", "Action", "DomesticStep"),
}


def bump_data_version(**kwargs) -> None:
    """Give the data a new version in the same transaction as the write (tracker.dataversion).

    A many-to-many change is announced before it is made (pre_add…): only the change counts.
    """
    if kwargs.get("action", "post").startswith("pre_"):
        return
    dataversion.bump()


def queue_alert_check(**kwargs) -> None:
    """After a recorded action commits, check the alerts at once rather than at the next beat."""
    transaction.on_commit(enqueue_check)


# Commits within this many seconds share one check: it runs after them all.
CHECK_DELAY = 2


def enqueue_check() -> None:
    """Queue one alert check for a burst of commits (a seed or an import saves many rows)."""
    from tracker.alerts.tasks import check_alerts

    if safe_cache.add("tracker:alert-check-queued", 1, timeout=CHECK_DELAY) is False:
        return  # a check queued by an earlier commit runs after this one
    try:
        # Fail fast: a request must not hang on a broker that is down.
        check_alerts.apply_async(countdown=CHECK_DELAY, retry_policy={"max_retries": 1, "interval_start": 0.2})
    except Exception:  # the broker is down: the periodic check (config.schedule) catches up
        logger.exception("could not queue the alert check; the periodic check will run it")


def connect() -> None:
    from django.apps import apps

    for app_label, model_names in WATCHED.items():
        for model_name in model_names:
            model = apps.get_model(app_label, model_name)
            uid = f"tracker-data-version-{app_label}.{model_name}"
            post_save.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-save")
            post_delete.connect(bump_data_version, sender=model, dispatch_uid=f"{uid}-delete")
            for m2m in model._meta.many_to_many:  # an action's sources, and such
                m2m_changed.connect(bump_data_version, sender=m2m.remote_field.through, dispatch_uid=f"{uid}-{m2m.name}")
    action = apps.get_model("signatories", "Action")
    post_save.connect(queue_alert_check, sender=action, dispatch_uid="tracker-alerts-action-save")
    post_delete.connect(queue_alert_check, sender=action, dispatch_uid="tracker-alerts-action-delete")
