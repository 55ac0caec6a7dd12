"""Counters shared by every process: in Redis when REDIS_URL is set, else in the database.

Rate limits (the API's anonymous throttle, the subscribe form's limits per origin and per
recipient) must count the requests of all web workers together. Django's cache API has
no atomic increment on its database and file backends (``incr`` is a read then a write),
so without Redis the counts are kept in the ``tracker.Counter`` table and changed with one
``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` statement, atomic on SQLite and
PostgreSQL alike.

A key names its window (``…:<window number>``), so a count never needs resetting: an
expired row is restarted by the next increment and pruned by ``prune``.
"""

import threading
import time

from django.conf import settings
from django.db import connection

UPSERT = """
INSERT INTO tracker_counter ("key", "count", "expires_at") VALUES (%s, %s, %s)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN tracker_counter."expires_at" <= %s THEN excluded."count"
                   ELSE tracker_counter."count" + excluded."count" END,
    "expires_at" = CASE WHEN tracker_counter."expires_at" <= %s THEN excluded."expires_at"
                        ELSE tracker_counter."expires_at" END
RETURNING "count"
"""


def incr(key: str, ttl_seconds: int, amount: int = 1) -> int:
    """Add ``amount`` to ``key`` (created for ``ttl_seconds`` if absent); its new count."""
    return add_and_get(key, None, amount, ttl_seconds)[0]


def add(key: str, amount: int, ttl_seconds: int) -> int:
    """Add ``amount`` (negative to give back) to ``key`` without moving its expiry; its new
    count. A key that had expired is created for ``ttl_seconds``."""
    if not settings.REDIS_URL:
        if amount < 0:  # giving back: only to a live count, never a new one below zero
            with connection.cursor() as cursor:
                cursor.execute(
                    'UPDATE tracker_counter SET "count" = "count" + %s WHERE "key" = %s AND "expires_at" > %s',
                    [amount, key, time.time()],
                )
            return get(key)
        return incr(key, ttl_seconds, amount)
    pipe = redis_client().pipeline(transaction=False)
    count, ttl = pipe.incrby(key, amount).ttl(key).execute()
    if ttl == -1:  # created just now by INCRBY, without an expiry
        redis_client().expire(key, ttl_seconds)
    return int(count)


def get(key: str) -> int:
    """The count of ``key``, 0 if absent or expired."""
    if settings.REDIS_URL:
        return int(redis_client().get(key) or 0)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT "count" FROM tracker_counter WHERE "key" = %s AND "expires_at" > %s', [key, time.time()]
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def add_and_get(key: str, other_key: str | None, amount: int, ttl_seconds: int) -> tuple[int, int]:
    """Add ``amount`` to ``key``; its new count and the count of ``other_key`` (0 if None),
    in one round trip to Redis."""
    if settings.REDIS_URL:
        pipe = redis_client().pipeline(transaction=False)
        pipe.incrby(key, amount).expire(key, ttl_seconds)
        if other_key:
            pipe.get(other_key)
        replies = pipe.execute()
        return int(replies[0]), int(replies[2] or 0) if other_key else 0
    now = time.time()
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, [key, amount, now + ttl_seconds, now, now])
        current = int(cursor.fetchone()[0])
    return current, get(other_key) if other_key else 0


def prune(now: float | None = None) -> int:
    """Delete the expired rows of the database counters (Redis expires its own keys)."""
    from tracker.state import Counter

    if settings.REDIS_URL:
        return 0
    deleted, _ = Counter.objects.filter(expires_at__lte=now or time.time()).delete()
    return deleted


_client: tuple[str, object] | None = None
_lock = threading.Lock()


def redis_client():
    """One Redis client (with its connection pool) per process and URL."""
    import redis

    global _client
    with _lock:
        if _client is None or _client[0] != settings.REDIS_URL:
            url = settings.REDIS_URL
            _client = (url, redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))
        return _client[1]
