"""Rate limits of the API: anonymous readers by address, token holders by user.

A sliding-window counter: each client has a count for the current window and the one
before, and the estimate weighs the previous count by how much of it still overlaps the
last ``seconds``. It costs one round trip to Redis a request, and at high rates one every
hundredth (``lease_size``); DRF's own throttle reads and writes a list of timestamps: two
round trips and a list as long as the rate. Unlike a plain fixed window, it does not let a
client send twice the rate across a window boundary.

The arithmetic is ``wait_seconds``, a pure function; ``hit`` keeps the counts;
``check_rates`` reports a malformed rate in ``manage.py check``.
"""

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import checks
from rest_framework.throttling import BaseThrottle

from tracker import counters

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
           "d": 86400, "day": 86400}  # fmt: skip


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``seconds``."""

    count: int
    seconds: int

    @classmethod
    @lru_cache(maxsize=16)
    def parse(cls, text: str) -> "Rate":
        """"120/minute", "5/s", "1000/hour" as a Rate; a malformed rate is a ValueError."""
        found = re.fullmatch(r"\s*(\d+)\s*/\s*([a-z]+)\s*", text.lower())
        if not found or found.group(2) not in PERIODS or int(found.group(1)) < 1:
            raise ValueError(f"Not a rate: {text!r} (write it like 120/minute).")
        return cls(int(found.group(1)), PERIODS[found.group(2)])


def wait_seconds(rate: Rate, current: int, previous: int, into_window: float) -> int | None:
    """None if a request is allowed; otherwise the whole seconds after which a retry is.

    ``current`` counts the requests of the current window, this one included; ``previous``
    those of the window before; ``into_window`` is how many seconds of the current window
    have passed. A refused request is not counted (see ``hit``), so a client that waits as
    told is let through.
    """
    seconds, limit = rate.seconds, rate.count
    estimate = previous * (seconds - into_window) / seconds + current
    if estimate <= limit:
        return None
    earlier = current - 1  # the requests allowed before this one
    if earlier < limit:
        # Within this window: the previous window's weight falls by previous/seconds a second.
        return max(1, math.ceil((estimate - limit) * seconds / previous))
    # In the next window, where this window's count becomes the previous one.
    into_next = seconds * (1 - (limit - 1) / earlier)
    return max(1, math.ceil(seconds - into_window + into_next))


def lease_size(rate: Rate) -> int:
    """How many requests a process takes from Redis at once: a hundredth of the rate.

    A low rate (120/minute) is counted a request at a time, exactly; a high one (a token
    holder's harvest, a benchmark) costs one round trip every ``lease_size`` requests. What
    a process leased and did not use still counts, so a client may be refused up to a
    hundredth of its rate early for each process serving it, never let through late.
    """
    return max(1, rate.count // 100)


def hit(scope: str, ident: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request of ``ident`` against ``rate``; the seconds to wait if it is over."""
    now = time.time() if now is None else now
    window, into = divmod(now, rate.seconds)
    base = f"tracker:throttle:{scope}:{rate.count}/{rate.seconds}:{ident}:"
    key = f"{base}{int(window)}"
    if leases.take(key):
        return None  # leased earlier in this window, when the estimate allowed it (it only falls)
    size = lease_size(rate)
    current, previous = counter.add_and_get(key, f"{base}{int(window) - 1}", size, 2 * rate.seconds)
    if size > 1:
        if wait_seconds(rate, current, previous, into) is None:
            leases.give(key, size - 1)
            return None
        current = counter.add(key, 1 - size)  # near the limit: count this request alone
    wait = wait_seconds(rate, current, previous, into)
    if wait is not None:
        counter.add(key, -1)  # a refused request does not count, or a client retrying would never pass
    return wait


class Leases:
    """Requests a process took from Redis in advance, by counter key (which names the window)."""

    MAX_KEYS = 4096

    def __init__(self):
        self._left: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> bool:
        with self._lock:
            left = self._left.get(key, 0)
            if left > 0:
                self._left[key] = left - 1
            return left > 0

    def give(self, key: str, count: int) -> None:
        with self._lock:
            if len(self._left) >= self.MAX_KEYS:
                self._left.clear()  # mostly windows gone by; a lease dropped only counts early
            self._left[key] = count

    def clear(self) -> None:
        with self._lock:
            self._left.clear()


leases = Leases()


class Counter:
    """The counts, shared by every process: in Redis when REDIS_URL is set (one pipelined
    round trip), else in the database (tracker.counters). A counter that fails lets the
    request through: a rate limit is not worth an error page."""

    def add_and_get(self, key: str, previous_key: str, amount: int, ttl: int) -> tuple[int, int]:
        """Add ``amount`` to ``key`` (kept ``ttl`` seconds); its count and ``previous_key``'s."""
        try:
            return counters.add_and_get(key, previous_key, amount, ttl)
        except Exception:
            logger.warning("the throttle's counter failed; the request is let through", exc_info=True)
            return 0, 0

    def add(self, key: str, amount: int) -> int:
        """Add ``amount`` (negative to give back) to ``key``; its new count."""
        try:
            return counters.add(key, amount, 2 * 24 * 60 * 60)
        except Exception:
            logger.warning("the throttle's counter failed", exc_info=True)
            return 0


counter = Counter()


def client_address(request) -> str:
    """The client's address: behind a proxy (DJANGO_BEHIND_PROXY), the last address in
    X-Forwarded-For, which our proxy appended; earlier ones are the client's to forge."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def anonymous_wait(request) -> int | None:
    """Count an anonymous request at API_ANON_RATE; the seconds to wait if it is over."""
    return hit("anon", client_address(request), Rate.parse(settings.API_ANON_RATE))


class TrackerThrottle(BaseThrottle):
    """DRF's side of the limits: token holders at API_USER_RATE, by user.

    Anonymous requests are counted before DRF, by tracker.api.caching (so that a response
    from the cache is counted too); those it did not count (an Authorization header that
    authenticates nobody) are counted here at the anonymous rate.
    """

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            self.wait_for = hit("user", str(request.user.pk), Rate.parse(settings.API_USER_RATE))
        elif not getattr(request._request, "api_counted", False):
            self.wait_for = anonymous_wait(request._request)
        else:
            self.wait_for = None
        return self.wait_for is None

    def wait(self) -> int | None:
        return self.wait_for


@checks.register(checks.Tags.compatibility)
def check_rates(app_configs=None, **kwargs) -> list[checks.Error]:
    """A malformed API_ANON_RATE or API_USER_RATE, found before a request fails on it."""
    errors = []
    for name in ("API_ANON_RATE", "API_USER_RATE"):
        try:
            Rate.parse(getattr(settings, name))
        except ValueError as error:
            errors.append(checks.Error(f"{name}: {error}", id="tracker.E001"))
    return errors
