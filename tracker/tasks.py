"""Celery tasks of the tracker. Each is a thin shell around a selector or service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from tracker import counters, overview
from tracker.models import Treaty
from tracker.pagecache import CALENDAR
from tracker.selectors import cached_status_dict


@shared_task
def refresh_statuses() -> dict[str, dict]:
    """Compute today's status of every treaty and keep it in the cache for the pages.

    Returns the statuses by slug, so a caller (or a test) can see what was computed.
    """
    statuses = {treaty.slug: cached_status_dict(treaty) for treaty in Treaty.objects.all()}
    # The home page's table, for today and for tomorrow: its first visitor of a new day
    # then finds every treaty's line computed (from today's records, which hold until the
    # next write, and a write recomputes only its treaty's line).
    today = timezone.localdate(timezone.now(), CALENDAR)
    for day in (today, today + timedelta(days=1)):
        overview.treaty_lines(day)
    counters.prune()  # rate-limit counts of windows gone by, kept in the database without Redis
    return statuses


# The alerts' tasks, so that the worker (which autodiscovers tracker.tasks) knows them.
from tracker.alerts.tasks import check_alerts, send_deliveries, send_digest  # noqa: E402, F401
from tracker.sync.tasks import sync_depositary  # noqa: E402, F401
