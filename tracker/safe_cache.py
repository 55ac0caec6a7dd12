"""The shared cache, read and written so that its failure is a miss, never an error.

Everything kept in the cache (pages, API responses, statuses) can be computed again from
the database, so a cache server that is down or restarting slows the site down and does
nothing worse: a read that fails finds nothing, a write that fails is dropped, and both
are logged.

``claim``, ``held`` and ``release`` are a lock that expires by itself (single-flight
builds, tracker.pagecache): a cache that fails claims nothing and the caller goes ahead,
so a failure costs at most the builds the lock would have saved.
"""

import logging
import secrets

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

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


def get_many(keys: list[str]) -> dict:
    """``cache.get_many``: the keys found; none when the cache fails."""
    try:
        return cache.get_many(keys) if keys else {}
    except Exception:
        logger.warning("cache read of %d keys failed; computing afresh", len(keys), exc_info=True)
        return {}


def set_many(values: dict, timeout: int | None) -> None:
    try:
        if values:
            cache.set_many(values, timeout)
    except Exception:
        logger.warning("cache write of %d keys failed; not kept", len(values), exc_info=True)


# Deletes the key only if it still holds this claimant's token: a builder that outlived its
# claim must not release the next builder's.
RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def claim(key: str, seconds: float) -> str | bool | None:
    """Claim ``key`` for ``seconds`` (a lock that expires by itself, so that a claimant
    that crashed blocks nobody for longer): the claimant's token if claimed, False if
    another holds it, None if the cache failed (the caller goes ahead unclaimed).

    On Redis one ``SET NX PX`` (to the millisecond); on another backend ``cache.add``, which
    Django's database cache makes atomic by the table's unique key (whole seconds there)."""
    token = secrets.token_hex(8)
    try:
        client = _redis_client(key)
        if client is not None:
            claimed = client.set(_full_key(key), token, nx=True, px=max(1, int(seconds * 1000)))
        else:
            claimed = cache.add(key, token, max(1, round(seconds)))
    except Exception:
        logger.warning("cache claim of %s failed; going ahead unclaimed", key, exc_info=True)
        return None
    return token if claimed else False


def held(key: str) -> bool | None:
    """Whether someone holds the claim on ``key``; None if the cache failed."""
    try:
        client = _redis_client(key)
        return bool(client.exists(_full_key(key))) if client is not None else cache.get(key) is not None
    except Exception:
        logger.warning("cache read of the claim %s failed", key, exc_info=True)
        return None


def release(key: str, token: str) -> None:
    """Give up the claim ``token`` on ``key``, if it is still this claimant's."""
    try:
        client = _redis_client(key)
        if client is not None:
            client.eval(RELEASE_SCRIPT, 1, _full_key(key), token)
        elif cache.get(key) == token:
            cache.delete(key)  # not atomic: at worst another's claim ends early, one more build
    except Exception:
        logger.warning("cache release of %s failed; the claim expires by itself", key, exc_info=True)


def _redis_client(key: str):
    """The raw redis-py client of Django's Redis cache for ``key``; None on another backend."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    return backend._cache.get_client(key, write=True) if isinstance(backend, RedisCache) else None


def _full_key(key: str) -> str:
    """``key`` as Django's cache names it in Redis (with its prefix and version)."""
    return caches[DEFAULT_CACHE_ALIAS].make_and_validate_key(key)
