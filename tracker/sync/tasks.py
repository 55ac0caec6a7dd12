"""The daily depositary sync, as a Celery task (config.schedule runs it)."""

from celery import shared_task

from tracker import safe_cache
from tracker.sync import runs

# At most one sync runs at a time: a slow run and the next beat must not read the
# depositary in parallel. The lock lapses by itself if a worker dies holding it.
LOCK_KEY, LOCK_SECONDS = "tracker:depositary-sync-running", 60 * 60


@shared_task(ignore_result=True)
def sync_depositary(slugs: list[str] | None = None) -> dict[str, str]:
    """Read each treaty's depositary page and import what changed; returns each treaty's
    outcome by slug (every read, failed or not, is also kept as a DepositarySync row)."""
    if safe_cache.add(LOCK_KEY, 1, timeout=LOCK_SECONDS) is False:
        return {}  # another sync is running
    try:
        return {sync.treaty.slug: sync.outcome for sync in runs.sync_all(slugs) if sync is not None}
    finally:
        safe_cache.delete(LOCK_KEY)
