"""Celery tasks of the tracker. Each is a thin shell around a selector or service."""

from celery import shared_task

from tracker import counters
from tracker.models import Treaty
from tracker.selectors import cached_status_dict


@shared_task
def refresh_statuses() -> dict[str, dict]:
    """Compute today's status of every treaty and keep it in the cache for the pages.

    Returns the statuses by slug, so a caller (or a test) can see what was computed.
    """
    statuses = {treaty.slug: cached_status_dict(treaty) for treaty in Treaty.objects.all()}
    counters.prune()  # rate-limit counts of windows gone by, kept in the database without Redis
    return statuses


# The alerts' tasks, so that the worker (which autodiscovers tracker.tasks) knows them.
from tracker.alerts.tasks import check_alerts, send_deliveries, send_digest  # noqa: E402, F401
from tracker.sync.tasks import sync_depositary  # noqa: E402, F401
