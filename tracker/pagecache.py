"""Whole rendered pages in the cache, dropped when the data changes.

A page is stored with the data version it was rendered from (every write to the data
changes the version, see tracker.signals) under a key with today's date in New York
(countdowns move at midnight there), so a page is never served stale and nothing has to
be deleted by hand.

Two levels: the shared cache (Redis in production) holds every page for all processes;
each process also keeps its most requested pages in memory and reads the data version at
most once a second, so that a hit under a crowd costs no network round trip at all. A
write made in this process is seen at once; one made in another process within a second.
"""

import hashlib
import time
from collections import OrderedDict
from functools import wraps
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from tracker.selectors import data_version

PAGE_TIMEOUT = 60 * 60
# Treaties are UN treaties for now; their calendar is New York's.
CALENDAR = ZoneInfo("America/New_York")
VERSION_TTL = 1.0  # seconds a process trusts the data version it read
LOCAL_PAGES = 256

_version: tuple[str, float] | None = None
_pages: OrderedDict[str, tuple[str, bytes, str]] = OrderedDict()


def current_version() -> str:
    """The data version, read from the shared cache at most once a second."""
    global _version
    now = time.monotonic()
    if _version is None or now - _version[1] > VERSION_TTL:
        _version = (data_version(), now)
    return _version[0]


def forget_version() -> None:
    """Called when this process changes the data: the next request reads the new version."""
    global _version
    _version = None


def page_key(path: str) -> str:
    today = timezone.localdate(timezone.now(), CALENDAR).isoformat()
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"tracker:page:{today}:{digest}"


def lookup(key: str, version: str) -> tuple[bytes, str] | None:
    """A page rendered from ``version``: from this process's memory, else the shared cache."""
    entry = _pages.get(key)
    if entry is None or entry[0] != version:
        entry = cache.get(key)
        if entry is None or entry[0] != version:
            return None
        remember(key, entry)
    _pages.move_to_end(key)
    return entry[1], entry[2]


def remember(key: str, entry: tuple[str, bytes, str]) -> None:
    _pages[key] = entry
    _pages.move_to_end(key)
    while len(_pages) > LOCAL_PAGES:
        _pages.popitem(last=False)


def cached_page(view):
    """Serve GET requests of ``view`` from the cache; cache its 200 responses."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key, version = page_key(request.get_full_path()), current_version()
        hit = lookup(key, version)
        if hit is not None:
            response = HttpResponse(hit[0], content_type=hit[1])
            response["X-Page-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not getattr(response, "streaming", False):
            if hasattr(response, "render"):
                response.render()
            entry = (version, response.content, response["Content-Type"])
            cache.set(key, entry, PAGE_TIMEOUT)
            remember(key, entry)
            response["X-Page-Cache"] = "miss"
        return response

    return wrapper
