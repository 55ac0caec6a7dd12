"""The shared cache, read and written so that its failure is a miss, never an error.

Everything kept in the cache (pages, API responses, statuses) can be computed again from
the database, so a cache server that is down or restarting slows the site down and does
nothing worse: a read that fails finds nothing, a write that fails is dropped, and both
are logged.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def get(key: str, default=None):
    try:
        return cache.get(key, default)
    except Exception:  # the backend's own errors (redis.ConnectionError, OperationalError …)
        logger.warning("cache read of %s failed; computing afresh", key, exc_info=True)
        return default


def set(key: str, value, timeout: int | None) -> None:  # noqa: A001 (mirrors cache.set)
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache write of %s failed; not kept", key, exc_info=True)


def add(key: str, value, timeout: int | None) -> bool | None:
    """``cache.add``: True if added, False if present, None if the cache failed."""
    try:
        return cache.add(key, value, timeout)
    except Exception:
        logger.warning("cache add of %s failed", key, exc_info=True)
        return None


def delete(key: str) -> None:
    """``cache.delete``; a failing cache lets the key expire by itself."""
    try:
        cache.delete(key)
    except Exception:
        logger.warning("cache delete of %s failed", key, exc_info=True)
